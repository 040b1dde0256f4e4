"""The last answer to an exception nothing else answered (``handler500``).

It runs for an exception raised outside any view, in a middleware or while a
response is finished, with DEBUG off. A database fault is still a 503 with
``Retry-After`` (``core.database_faults``); anything else under /api/ is a
JSON 500, never an HTML page or a traceback; the pages keep Django's own.
"""

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults

from core import database_faults


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls the handler inside its ``except`` block: the exception is
    # the one being handled.
    exc = sys.exc_info()[1]
    if exc is not None and database_faults.is_database_fault(exc):
        return database_faults.answer(request, exc)
    if database_faults.is_api(request):
        return JsonResponse(
            {"detail": "Something went wrong on the server.", "code": "server_error"}, status=500
        )
    return defaults.server_error(request)
