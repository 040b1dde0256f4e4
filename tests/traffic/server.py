"""Real gunicorn, started as the production shape starts it (``gunicorn.conf.py``,
DEBUG off), on a free port of 127.0.0.1, and the hostile clients of the
security test of issue 9: slow connections held open, a large upload, a
chunked body. Every client is bounded in bytes and in time, and only ever
talks to the server this module started.
"""

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from tests.notifications.workers import Processes, free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SECRET = "gunicorn-test-" + "k" * 50


def server_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of production with DEBUG off, on this machine."""
    return {
        **os.environ,
        "DEBUG": "false",
        "MSCC_BASE_URL": "http://127.0.0.1",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "MSCC_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite:///{var_dir / 'unused.sqlite3'}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def collect_static(var_dir: Path) -> None:
    """DEBUG off serves the hashed static files of ``collectstatic``."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=server_env(var_dir),
        check=True,
        timeout=120,
    )


@dataclass
class Server:
    port: int
    processes: Processes

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.processes.log("gunicorn")


@contextlib.contextmanager
def gunicorn(log_dir: Path, env: dict[str, str]) -> Iterator[Server]:
    """gunicorn with ``gunicorn.conf.py`` (the worker class and limits under
    test), two workers, until the block ends."""
    port = free_port()
    processes = Processes(log_dir)
    env = {"GUNICORN_WORKERS": "2", **env, "GUNICORN_BIND": f"127.0.0.1:{port}"}
    try:
        process = processes.start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "mscc.wsgi:application"],
            {**env, "PWD": str(ROOT)},
        )
        server = Server(port, processes)

        def answers() -> bool:
            assert process.poll() is None, processes.log("gunicorn")
            return status_of(request(port, b"GET /health/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) > 0

        wait_for(answers, timeout=60, what="gunicorn to answer")
        yield server
    finally:
        processes.close()


def request(port: int, raw: bytes, *, timeout: float = 10.0) -> bytes:
    """Send one request as given; the whole answer (the server closes), or
    what came before ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    chunks: list[bytes] = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(raw)
            while time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                data = sock.recv(65536)
                if not data:
                    break
                chunks.append(data)
                if _complete(b"".join(chunks)):
                    break
    except OSError:
        pass
    return b"".join(chunks)


def _complete(answer: bytes) -> bool:
    head, sep, body = answer.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return body.endswith(b"0\r\n\r\n")


def status_of(answer: bytes) -> int:
    """The status code of a raw answer; 0 for none."""
    try:
        return int(answer.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def body_of(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


def timed_get(port: int, path: str, *, timeout: float) -> tuple[float, int]:
    """(seconds, status) of one ordinary GET; status 0 when no answer came
    within ``timeout``."""
    started = time.monotonic()
    answer = request(
        port,
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode(),
        timeout=timeout,
    )
    return time.monotonic() - started, status_of(answer)


class SlowClients:
    """``count`` connections that each send a request line and then one more
    header line every ``interval`` seconds, never finishing (slowloris)."""

    def __init__(self, port: int, count: int, *, interval: float = 0.5) -> None:
        self.port = port
        self.interval = interval
        self.sockets: list[socket.socket] = []
        for n in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(f"GET /accounts/login/?slow={n} HTTP/1.1\r\nHost: 127.0.0.1\r\n".encode())
            self.sockets.append(sock)

    def trickle(self) -> None:
        """One more header line on every connection still open."""
        for sock in list(self.sockets):
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                self.sockets.remove(sock)

    def close(self) -> None:
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.close()
        self.sockets.clear()


def timed_get_beside(slow: SlowClients, path: str, *, timeout: float) -> tuple[float, int]:
    """An ordinary GET while the slow clients keep trickling."""
    result: list[tuple[float, int]] = []
    thread = threading.Thread(
        target=lambda: result.append(timed_get(slow.port, path, timeout=timeout)), daemon=True
    )
    thread.start()
    while thread.is_alive():
        thread.join(slow.interval)
        slow.trickle()
    return result[0]


def multipart_file(size: int, boundary: str = "mscc-test-boundary") -> tuple[str, bytes, bytes]:
    """(content type, prefix, suffix) of a multipart body whose one file part
    fills ``size`` bytes in all: the shape of a browser's file upload."""
    prefix = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="username"\r\n\r\nx\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    suffix = f"\r\n--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", prefix, suffix


def _body_slice(prefix: bytes, filler: int, suffix: bytes, offset: int) -> bytes:
    """Up to 64 KiB of the body prefix + filler x "a" + suffix from ``offset``."""
    if offset < len(prefix):
        return prefix[offset:]
    offset -= len(prefix)
    if offset < filler:
        return b"a" * min(65536, filler - offset)
    return suffix[offset - filler :]


def csrf_cookie(port: int) -> str:
    """The CSRF cookie a browser gets with the sign-in page (``name=value``),
    so that a POST gets past the cookie check to the reading of the form."""
    answer = request(port, b"GET /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    for line in answer.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"set-cookie: csrftoken="):
            return line.split(b":", 1)[1].strip().split(b";")[0].decode()
    raise AssertionError(f"No CSRF cookie in {answer[:500]!r}")


@dataclass
class Upload:
    status: int
    sent: int
    answer: bytes


def upload(
    port: int,
    path: str,
    *,
    size: int,
    content_type: str,
    cookie: str = "",
    prefix: bytes = b"",
    suffix: bytes = b"",
    timeout: float = 60,
) -> Upload:
    """POST a body of ``size`` bytes, announced by Content-Length, as fast as
    the server takes it, stopping as soon as an answer arrives: how many bytes
    went out (an upper bound on what the server read) and the status."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {size}\r\n"
    ).encode()
    if cookie:
        head += f"Cookie: {cookie}\r\n".encode()
    head += b"\r\n"
    filler = size - len(prefix) - len(suffix)
    sent = 0
    answer = b""
    deadline = time.monotonic() + timeout
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        while time.monotonic() < deadline:
            readable, writable, _ = select.select([sock], [sock] if sent < size else [], [], 0.5)
            if readable:
                try:
                    data = sock.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                answer += data
                if _complete(answer):
                    break
                continue
            if writable:
                try:
                    sent += sock.send(_body_slice(prefix, filler, suffix, sent))
                except BlockingIOError:
                    continue
                except OSError:
                    break
    return Upload(status_of(answer), sent, answer)
