"""Process helpers for tests that run the production shape for real: Celery
workers and beat (and, when a test stops the broker, a private redis-server)
started as processes against the pytest-django test database.

Every process is started through ``Processes``, whose ``close()`` stops what
is still running, so a failing test never leaves a worker behind. Each test
gives its worker a private queue (``CELERY_TASK_DEFAULT_QUEUE``), so workers of
other test runs on the same Redis never take its tasks.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import IO, TypeVar

import pytest
from django.conf import settings
from django.db import connection
from kombu import Connection, Exchange, Queue

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CELERY = [sys.executable, "-m", "celery", "-A", "mscc"]

T = TypeVar("T")


def require_redis_broker(url: str) -> None:
    """These tests are about Redis (visibility timeout, reconnection): the
    embedded file-system broker is not what they test. Like a missing
    PostgreSQL (tests/conftest.py), a missing Redis skips on a laptop and
    fails under CI, so CI can never pass by skipping them."""
    if url.startswith("redis://"):
        return
    reason = f"needs a Redis broker: set CELERY_BROKER_URL=redis://... (it is {url!r})"
    if IN_CI:
        pytest.fail(f"CI must run every test, but this one {reason}", pytrace=False)
    pytest.skip(reason)


def require_redis_server() -> None:
    """A test that stops and starts its own Redis needs the redis-server binary."""
    if shutil.which("redis-server"):
        return
    reason = "needs redis-server on PATH (to run a private Redis it can stop)"
    if IN_CI:
        pytest.fail(f"CI must run every test, but this one {reason}", pytrace=False)
    pytest.skip(reason)


def database_url() -> str:
    """The URL of the test database this process is using (for the children)."""
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def private_queue() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def filemail_url(directory: Path) -> str:
    # django-environ drops the first "/" after "filemail://" (filemail:///tmp/x
    # becomes the relative path tmp/x), so an absolute path needs four.
    return f"filemail:///{directory.resolve()}"


def celery_env(*, broker_url: str, queue: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "MSCC_VAR_DIR": str(settings.VAR_DIR),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], T], *, timeout: float, what: str, interval: float = 0.2) -> T:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(interval)


class Processes:
    """The processes one test started; ``close()`` ends every one still running."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self._running: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []

    def start(self, name: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed in stop)
        # A session of its own: a SIGKILL to the group takes the worker's pool
        # children with it, and a Ctrl-C at the terminal does not reach it.
        process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._running.append((process, log))
        return process

    def worker(
        self, name: str, env: dict[str, str], *, pool: str = "solo", concurrency: int = 1
    ) -> subprocess.Popen[bytes]:
        return self.start(
            name,
            [
                *CELERY,
                "worker",
                f"--pool={pool}",
                f"--concurrency={concurrency}",
                "-Q",
                env["CELERY_TASK_DEFAULT_QUEUE"],
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                # No gossip or mingle with other test runs' workers on the same Redis.
                "--without-gossip",
                "--without-mingle",
                "--loglevel=INFO",
            ],
            env,
        )

    def beat(self, name: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
        schedule = self.log_dir / f"{name}-schedule"
        return self.start(
            name, [*CELERY, "beat", "--schedule", str(schedule), "--loglevel=INFO"], env
        )

    def stop(self, process: subprocess.Popen[bytes], *, timeout: float = 20) -> None:
        """SIGTERM (a warm shutdown), then SIGKILL to the group if it lingers."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill(process)
        self._forget(process)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL the process and its children (its whole process group):
        nothing is acknowledged, nothing cleaned up."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        self._forget(process)

    def close(self) -> None:
        """Workers and beat first, newest first; a private Redis last, so they
        do not spend their shutdown reconnecting to it."""
        running = [process for process, _ in reversed(self._running)]
        for process in sorted(running, key=lambda p: p.args[0] == "redis-server"):
            self.stop(process)

    def _forget(self, process: subprocess.Popen[bytes]) -> None:
        for entry in list(self._running):
            if entry[0] is process:
                # Children left by a killed leader (none expected) go too.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                entry[1].close()
                self._running.remove(entry)

    def log(self, name: str) -> str:
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""


class PrivateRedis:
    """A redis-server of the test's own on a free port, with no persistence,
    that the test may stop and start again (never the machine's shared one)."""

    def __init__(self, processes: Processes) -> None:
        self.processes = processes
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        self.process = self.processes.start(
            f"redis-{self.starts}",
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.processes.log_dir),
            ],
            dict(os.environ),
        )
        wait_for(self.answers, timeout=15, what=f"redis-server on port {self.port}")

    def stop(self) -> None:
        assert self.process is not None
        self.processes.stop(self.process)
        self.process = None

    def answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def delete_queue(broker_url: str, queue: str) -> None:
    """Best effort: remove a test's private queue, and its binding, from the
    shared broker (as Celery declares it: a direct exchange of the same name)."""
    try:
        with Connection(broker_url, connect_timeout=2) as conn:
            bound = Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(conn)
            bound.declare()  # so kombu knows the binding it is to remove
            bound.delete()
    except Exception as exc:  # a leftover queue is harmless; say so, do not fail
        print(f"Could not delete queue {queue}: {exc}")
