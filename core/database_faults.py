"""A database that does not answer: 503 with ``Retry-After``, never a 500.

The database is restarting, failing over, refusing connections, or dropped
the connection under a request (``OperationalError``; ``InterfaceError`` for a
connection already closed). That is transient: the answer says so, with no
traceback, and tells the client when to try again. The API answers JSON
(``core.api.exceptions`` for its views, ``mscc.middleware`` and
``mscc.errors`` for anything outside them); the pages answer a plain page
that needs no database to render (issue 9, item 7).

A request that failed may have stored what it was asked to (the database
can fail after a commit), so the answer never says that nothing was stored:
a referral resent with the same ``Idempotency-Key`` is made once.
"""

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

from core.logs import get_logger

DATABASE_FAULTS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)
CODE = "database_unavailable"
MESSAGE = (
    "The service cannot reach its database just now. Try again shortly: a "
    "referral resent with the same Idempotency-Key is made once. In an emergency, "
    "phone the MSCC coordinator."
)

log = get_logger(__name__)


def is_database_fault(exc: BaseException | None) -> bool:
    return isinstance(exc, DATABASE_FAULTS)


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def retry_after() -> str:
    return str(settings.MSCC_DATABASE_RETRY_AFTER_SECONDS)


def logged(request: HttpRequest, exc: BaseException) -> None:
    """One structured line: the path without its query (which may carry a
    search term), the error's type and first line (never its detail, which
    may quote a value)."""
    log.warning(
        "database.unavailable",
        method=request.method,
        path=request.path,
        error_type=type(exc).__name__,
        error=(str(exc).splitlines() or [""])[0][:200],
    )


def api_answer() -> JsonResponse:
    response = JsonResponse({"detail": MESSAGE, "code": CODE}, status=503)
    response["Retry-After"] = retry_after()
    return response


def page_answer() -> HttpResponse:
    # Rendered without the request: no context processor, so no query (the
    # signed-in user, the badge) can fail again while the page is made.
    body = render_to_string("core/database_unavailable.html", {"retry_after": retry_after()})
    response = HttpResponse(body, status=503)
    response["Retry-After"] = retry_after()
    return response


def answer(request: HttpRequest, exc: BaseException) -> HttpResponse:
    """The 503 for ``request``: JSON under /api/, a page otherwise."""
    logged(request, exc)
    return api_answer() if is_api(request) else page_answer()
