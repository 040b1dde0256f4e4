"""Body limits on every route, chunked bodies and JSON nesting, in process
(the WSGI edge called directly, and Django's test client)."""

import io
import json
from typing import Any

import pytest

from core.api.parsers import nesting_exceeds
from mscc.request_body import RequestBodyGuard
from mscc.wsgi import application
from referrals.models import Referral
from tests.conftest import referral_body


class Answer:
    def __init__(self) -> None:
        self.status = ""
        self.headers: dict[str, str] = {}

    def __call__(self, status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        self.status = status
        self.headers = dict(headers)


def _environ(path: str, body: bytes, **extra: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json",
        **extra,
    }


class Unreadable(io.BytesIO):
    """A body that fails the test if anything reads it."""

    def read(self, *args: Any) -> bytes:
        raise AssertionError("the body was read")


def test_an_oversized_content_length_is_refused_before_the_body_is_read():
    seen: list[dict[str, Any]] = []
    guard = RequestBodyGuard(lambda environ, start: seen.append(environ) or [])
    answer = Answer()
    environ = _environ("/accounts/login/", b"", CONTENT_LENGTH=str(100 * 1024 * 1024))
    environ["wsgi.input"] = Unreadable()
    body = b"".join(guard(environ, answer))
    assert answer.status.startswith("413")
    assert b"too large" in body
    assert not seen


def test_a_body_the_server_did_not_de_chunk_is_refused_with_411():
    guard = RequestBodyGuard(lambda environ, start: [])
    answer = Answer()
    environ = _environ("/api/v1/referrals/", b"5\r\nhello\r\n0\r\n\r\n")
    environ["HTTP_TRANSFER_ENCODING"] = "chunked"
    body = json.loads(b"".join(guard(environ, answer)))
    assert answer.status.startswith("411")
    assert "Content-Length" in body["detail"]


# Committed rows: Django's handler closes old database connections at the
# start of a request, which a test's open transaction would not survive.
@pytest.mark.django_db(transaction=True)
def test_a_chunked_referral_the_server_de_chunked_is_created(referrer, service):
    """gunicorn de-chunks and says so (wsgi.input_terminated); the edge gives
    Django the body with its length: 201, not an empty body's 400."""
    from accounts.services import token_create

    token = token_create(user=referrer).token
    body = json.dumps(referral_body()).encode()
    environ = _environ(
        "/api/v1/referrals/",
        body,
        HTTP_TRANSFER_ENCODING="chunked",
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    environ["wsgi.input_terminated"] = True
    answer = Answer()
    created = json.loads(b"".join(application(environ, answer)))
    assert answer.status.startswith("201"), created
    assert Referral.objects.filter(pk=created["id"]).exists()


@pytest.mark.parametrize(
    "path", ["/accounts/login/", "/referrals/new/", "/admin/login/", "/api/v1/auth/token/"]
)
def test_every_route_refuses_a_body_over_its_limit_with_413(client, settings, path):
    limit = (
        settings.API_MAX_BODY_BYTES
        if path.startswith("/api/")
        else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    response = client.generic(
        "POST", path, b"a" * (limit + 1), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert f"the limit is {limit} bytes" in response.content.decode()


@pytest.mark.parametrize("path", ["/api/v1/auth/token/", "/api/v1/referrals/"])
@pytest.mark.django_db
def test_deeply_nested_json_is_a_400_that_says_so(api, referrer, path):
    nested = "[" * 5000 + "]" * 5000
    response = api(referrer).post(path, nested, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The JSON is nested too deeply: at most 20 levels of arrays and objects."
    }


def test_nesting_is_counted_outside_strings_only():
    assert not nesting_exceeds(b'{"a": "[[[[[[[[[[[[", "b": [[1]]}', 3)
    assert nesting_exceeds(b'{"a": [[[1]]]}', 3)
    assert not nesting_exceeds(b'{"a": "\\"[[[[[[[[[", "b": {"c": [1]}}', 3)
    assert not nesting_exceeds(json.dumps(referral_body()).encode(), 3)
