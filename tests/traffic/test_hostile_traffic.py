"""Issue 9, item 5: hostile traffic against real gunicorn with DEBUG off
(``gunicorn.conf.py``: gevent workers), on real sockets of 127.0.0.1.

The figures of the security test, before (sync workers) and after, are in
the docstring of each test; every client is bounded in bytes and time.
"""

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.services import token_create
from pathways.models import Clock
from referrals.models import Referral
from tests.conftest import referral_body
from tests.notifications.workers import database_url
from tests.traffic import server as s

pytestmark = pytest.mark.slow

MB = 1024 * 1024


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("gunicorn-var")
    s.collect_static(var)
    return var


@pytest.fixture(scope="module")
def served(var_dir: Path) -> Iterator[s.Server]:
    """gunicorn on an empty database: what these tests ask needs no rows."""
    with s.gunicorn(var_dir, s.server_env(var_dir)) as server:
        # The first request of each worker imports the views: not measured.
        for _ in range(4):
            s.timed_get(server.port, "/accounts/login/", timeout=15)
        yield server


@pytest.mark.parametrize("slow_connections", [3, 20])
def test_a_normal_request_is_answered_at_once_beside_slow_connections(served, slow_connections):
    """Before (sync workers, 2 of them): with 3 or with 20 slowloris
    connections open, GET /accounts/login/ had no answer within 15 s (with
    the default 4 workers on 2 cores: 0.004 s with 3, none within 15 s with
    20). After (gevent): answered 200 in about 0.01 s with either."""
    slow = s.SlowClients(served.port, slow_connections)
    try:
        time.sleep(0.5)
        slow.trickle()
        took, status = s.timed_get_beside(slow, "/accounts/login/", timeout=15)
    finally:
        slow.close()
    assert status == 200, served.log()[-2000:]
    assert took < 3.0, f"{took:.2f} s with {slow_connections} slow connections open"


def test_a_slow_connection_is_closed_once_its_headers_are_overdue(served):
    """A connection that never finishes its request head is closed after
    gunicorn's keepalive (5 s), so slow connections do not pile up."""
    slow = s.SlowClients(served.port, 1)
    sock = slow.sockets[0]
    try:
        sock.settimeout(15)
        started = time.monotonic()
        closed = sock.recv(1024) == b""
    except OSError:
        closed = True
    finally:
        slow.close()
    assert closed
    assert time.monotonic() - started < 12


def test_an_anonymous_100_mb_upload_to_the_sign_in_page_is_refused_unread(served):
    """Before: a 100 MB multipart upload with the CSRF cookie was read in
    full (104,857,600 bytes sent, then 403). After: 413 at once; only what
    the sockets' buffers took was sent (about 2.7 MB), none of it read."""
    content_type, prefix, suffix = s.multipart_file(100 * MB)
    sent = s.upload(
        served.port,
        "/accounts/login/",
        size=100 * MB,
        content_type=content_type,
        prefix=prefix,
        suffix=suffix,
        cookie=s.csrf_cookie(served.port),
    )
    assert sent.status == 413, sent.answer[:500]
    assert b"too large" in s.body_of(sent.answer)
    assert sent.sent < 32 * MB, f"{sent.sent} bytes sent before the answer"


def test_an_oversized_chunked_body_is_refused_with_413(served):
    """A chunked body has no Content-Length to refuse it by: it is read up to
    the limit (64 KiB under /api/) and refused past it."""
    chunk = b"a" * 65536
    raw = (
        b"POST /api/v1/auth/token/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4))
        + b"0\r\n\r\n"
    )
    answer = s.request(served.port, raw)
    assert s.status_of(answer) == 413, answer[:500]
    assert json.loads(s.body_of(answer)) == {
        "detail": "Request body is too large: the limit is 65536 bytes."
    }


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/referrals/"])
def test_deeply_nested_json_is_a_400_naming_the_problem(served, path):
    """Before: 30,000 nested arrays to the token endpoint gave an HTML 500
    (RecursionError). After: a JSON 400 saying the JSON is nested too deeply
    (the referral endpoint, anonymous, is a 401 before its body is read)."""
    nested = b"[" * 30000 + b"]" * 30000
    answer = s.request(
        served.port,
        (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(nested)}\r\n\r\n"
        ).encode()
        + nested,
    )
    if path == "/api/v1/referrals/":
        assert s.status_of(answer) == 401, answer[:500]
        return
    assert s.status_of(answer) == 400, answer[:500]
    assert "nested too deeply" in json.loads(s.body_of(answer))["detail"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_referral_sent_chunked_is_read_whole(var_dir, tmp_path, referrer, service):
    """Before: a referral sent with Transfer-Encoding: chunked was read as an
    empty body: 400, every required field "missing". After: 201, stored with
    its clocks, like the same body sent with a Content-Length."""
    token = token_create(user=referrer).token
    body = json.dumps(referral_body()).encode()
    chunked = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:100], body[100:]))
    env = s.server_env(var_dir, DATABASE_URL=database_url())
    with s.gunicorn(tmp_path, env) as server:
        answer = s.request(
            server.port,
            b"POST /api/v1/referrals/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Authorization: Token {token}\r\n".encode()
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            + chunked
            + b"0\r\n\r\n",
        )
    assert s.status_of(answer) == 201, answer[:1000]
    referral = Referral.objects.get(pk=json.loads(s.body_of(answer))["id"])
    assert Clock.objects.filter(referral=referral).exists()
