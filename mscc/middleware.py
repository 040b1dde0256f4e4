"""Middleware of the composition root.

``ApiBodySizeLimitMiddleware`` refuses oversized API bodies before anything
reads them. DRF reads the request stream directly, which bypasses Django's
DATA_UPLOAD_MAX_MEMORY_SIZE check, so the limit is enforced here from the
Content-Length header (and again in the JSON parser for chunked bodies).

``DatabaseFaultMiddleware`` answers a database that does not answer with a
503 and ``Retry-After`` for any view that is not the API's (pages, the admin);
the API's views answer it themselves (``core.api.exceptions``), and
``mscc.errors.server_error`` catches what escapes both (issue 9, item 7).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from core import database_faults


class ApiBodySizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return JsonResponse(
                    {"detail": "Content-Length header is not a number."}, status=400
                )
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse(
                    {
                        "detail": f"Request body is too large: the limit is "
                        f"{settings.API_MAX_BODY_BYTES} bytes."
                    },
                    status=413,
                )
        return self.get_response(request)


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
