"""A database that does not answer gives a JSON 503 with Retry-After on every
API route, never an HTML 500 or a traceback; the pages and the admin give a
plain 503 page (issue 9, item 7).

Most tests make the database fail for one request by patching the connection
(every statement raises ``OperationalError``); the PostgreSQL ones take the
database away for real: the request's backend terminated with
``pg_terminate_backend``, or nothing listening where it connects.
"""

import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.contrib.sessions.middleware import SessionMiddleware
from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from accounts.services import token_create
from referrals.models import User
from tests.conftest import PASSWORD, referral_body

RETRY_AFTER = "15"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route, pattern.callback


SAMPLE = {"uuid": str(uuid.uuid4()), "int": "1", "slug": "sins", "str": "x", "path": "x"}


def api_routes() -> list[tuple[str, str]]:
    """Every (method, URL) the API answers, its parameters filled in."""
    found = []
    for route, callback in _routes(get_resolver().url_patterns):
        if not route.startswith("api/"):
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        url = "/" + re.sub(r"<(\w+):\w+>", lambda m: SAMPLE[m.group(1)], route)
        for method in ("get", "post", "put", "patch", "delete"):
            if view is not None and hasattr(view, method):
                found.append((method, url))
    return found


ROUTES = api_routes()


def test_the_route_list_is_the_whole_api() -> None:
    urls = {url for _, url in ROUTES}
    assert len(ROUTES) >= 25
    for expected in (
        "/api/v1/auth/token/",
        "/api/v1/referrals/",
        f"/api/v1/referrals/{SAMPLE['uuid']}/events/",
        "/api/v1/queue/",
        "/api/v1/rota/gaps/",
        "/api/v1/notifications/",
        "/api/v1/scores/sins/",
        "/api/schema/",
    ):
        assert expected in urls


def _fail(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    # The test's own transaction and savepoints keep working, so the test
    # database is rolled back as ever; every other statement fails.
    if sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")):
        return execute(sql, params, many, context)
    raise OperationalError("simulated: the database is not answering")


@contextmanager
def database_down() -> Iterator[None]:
    with connection.execute_wrapper(_fail):
        yield


def assert_json_503(response: Any) -> None:
    assert response.status_code == 503, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == RETRY_AFTER
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert "Traceback" not in response.content.decode()
    assert "simulated" not in response.content.decode()  # no error text for the client


@pytest.fixture
def token_client(coordinator: User) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token_create(user=coordinator).token}")
    return client


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_every_api_route_answers_json_503_when_the_database_is_down(
    method: str, url: str, token_client: APIClient
) -> None:
    """Signed in by token: the first query, the token's, fails. (The token
    call checks its body before it reads anything: give it one.)"""
    body = {"username": "someone", "password": "x" * 12} if url.endswith("/auth/token/") else {}
    with database_down():
        response = getattr(token_client, method)(url, body, format="json")
    assert_json_503(response)


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_no_api_route_answers_500_when_the_database_fails_inside_the_view(
    method: str, url: str, coordinator: User
) -> None:
    """Signed in already (no query for the user): the database fails wherever
    the view first needs it; a view that needs none answers as usual."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)
    with database_down():
        response = getattr(client, method)(url, {}, format="json")
    if response.status_code == 503:
        assert_json_503(response)
    else:
        assert response.status_code < 500, (url, response.status_code)


def test_a_referral_create_with_the_database_down_is_a_503(world: Any) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.referrer)
    with database_down():
        response = client.post(
            "/api/v1/referrals/", referral_body(), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
        )
    assert_json_503(response)


def test_the_browsable_api_is_json_503_too(coordinator: User) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)
    with database_down():
        response = client.get("/api/v1/queue/", HTTP_ACCEPT="text/html")
    assert_json_503(response)


def test_the_fault_is_logged_with_ids_and_no_query(
    coordinator: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)
    with database_down():
        client.get("/api/v1/referrals/", {"nhs_number": "9990000018"})
    (record,) = [r for r in caplog.records if r.getMessage() == "database.unavailable"]
    assert (record.path, record.error_type) == ("/api/v1/referrals/", "OperationalError")
    assert "9990000018" not in str(vars(record))


@pytest.mark.parametrize("url", ["/queue/", "/referrals/mine/", "/admin/referrals/referral/"])
def test_pages_and_the_admin_answer_a_plain_503(url: str, db: Any) -> None:
    user = User.objects.create_superuser(username="root", email="", password=PASSWORD)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    with database_down():
        response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == RETRY_AFTER
    body = response.content.decode()
    assert "cannot reach its database" in body
    assert "Traceback" not in body


def test_a_fault_outside_any_view_is_a_503_too(
    coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A middleware that loses the database (the session saved as a response
    goes out) reaches Django's last handler, ``mscc.errors.server_error``."""

    def lost(self: Any, request: Any, response: Any) -> Any:
        raise InterfaceError("connection already closed")

    monkeypatch.setattr(SessionMiddleware, "process_response", lost)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)
    assert_json_503(client.get("/api/v1/auth/me/"))
    page = Client(raise_request_exception=False)
    response = page.get("/accounts/login/")
    assert (response.status_code, response["Retry-After"]) == (503, RETRY_AFTER)


def test_any_other_error_outside_a_view_is_json_under_the_api(
    coordinator: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(self: Any, request: Any, response: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(SessionMiddleware, "process_response", broken)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(coordinator)
    response = client.get("/api/v1/auth/me/")
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Something went wrong on the server.",
        "code": "server_error",
    }
    assert "a bug" not in response.content.decode()


def test_health_says_when_to_try_again(client: Client, db: Any) -> None:
    with database_down():
        response = client.get("/health/")
    assert (response.status_code, response.json()["database"]) == (503, "down")
    assert response["Retry-After"] == RETRY_AFTER


# --- For real, on PostgreSQL ------------------------------------------------------------


def _terminate(pid: int) -> None:
    params = connection.get_connection_params()
    keep = ("host", "port", "user", "password")
    other = {k: v for k, v in params.items() if k in keep and v}
    with psycopg.connect(dbname="postgres", autocommit=True, **other) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def committed_token(transactional_db: Any) -> str:
    """A user and token committed: these tests break the connection, which
    the usual test transaction could not survive."""
    user = User.objects.create_user(username="coordinator-real", password=PASSWORD)
    user.role = "coordinator"
    user.save()
    return token_create(user=user).token


@pytest.mark.postgres
def test_a_request_whose_backend_was_terminated_is_a_json_503(committed_token: str) -> None:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {committed_token}")
    assert client.get("/api/v1/auth/me/").status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    _terminate(pid)
    try:
        assert_json_503(client.get("/api/v1/auth/me/"))
    finally:
        # What Django does as each request ends: a broken connection is closed,
        # and the next request opens another.
        close_old_connections()
    assert client.get("/api/v1/auth/me/").status_code == 200


@pytest.mark.postgres
def test_a_database_that_refuses_connections_is_a_json_503(committed_token: str) -> None:
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {committed_token}")
    port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens on port 1
    try:
        assert_json_503(client.get("/api/v1/queue/"))
        response = Client(raise_request_exception=False).get("/health/")
        assert (response.status_code, response["Retry-After"]) == (503, RETRY_AFTER)
    finally:
        connection.close()
        connection.settings_dict["PORT"] = port
    assert client.get("/api/v1/auth/me/").status_code == 200
