"""Request and response rules applied to every route.

``RequestBodyLimitMiddleware`` refuses an oversized body from its
``Content-Length`` before anything reads it. DRF reads the request stream
directly, bypassing Django's DATA_UPLOAD_MAX_MEMORY_SIZE check, and Django's
check does not count the files of a multipart form; so the limit is enforced
here on every route (and at the WSGI edge, ``mscc/request_body.py``, which
also reads chunked bodies; and again in the JSON parser).

``ResponseHeadersMiddleware`` adds ``Cache-Control`` and ``Permissions-Policy``.

``DatabaseFaultMiddleware`` answers a database that does not answer with a
503 and ``Retry-After`` for any view that is not the API's (pages, the admin);
the API's views answer it themselves (``core.api.exceptions``), and
``mscc.errors.server_error`` catches what escapes both (issue 9, item 7).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import database_faults
from mscc.request_body import body_limit, too_large_message


def _refusal(request: HttpRequest, status: int, message: str) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


class RequestBodyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        announced = (request.META.get("CONTENT_LENGTH") or "").strip()
        if announced:
            if not announced.isdigit():
                return _refusal(request, 400, "Content-Length header is not a number.")
            limit = body_limit(request.path)
            if int(announced) > limit:
                return _refusal(request, 413, too_large_message(limit))
        return self.get_response(request)


class ResponseHeadersMiddleware:
    """Headers on every answer the application makes (static files, served
    by WhiteNoise before this, keep their own caching):

    * ``Cache-Control: no-store``: patient pages and API answers must not be
      kept by a browser, a shared computer's cache or a proxy (the back
      button after sign-out shows nothing);
    * ``Permissions-Policy``: no camera, microphone, location or other
      device access, which no page needs.

    The Content-Security-Policy comes from django-csp (``CONTENT_SECURITY_POLICY``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response["Cache-Control"] = "no-store"
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


class DatabaseFaultMiddleware:
    """A view (or its template) that lost the database: 503, Retry-After."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if database_faults.is_database_fault(exception):
            return database_faults.answer(request, exception)
        return None
