"""API errors: every one a JSON body naming what was wrong, never a traceback.

Domain errors take their status and body from ``core.errors`` (the one
mapping, shared with the pages); a database that does not answer is a 503
with ``Retry-After`` (``core.database_faults``); everything else is DRF's own.
"""

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import database_faults
from core.errors import DomainError, as_body, http_status, retry_after


def domain_error(exc: Exception) -> DomainError | None:
    """``exc`` as a domain error, or None if it is not one.

    A Django ``ValidationError`` from a service (the second vocabulary, on its
    way out) is read as the domain error it means, so it answers in the same
    two shapes.
    """
    if isinstance(exc, DomainError):
        return exc
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return DomainError(errors=exc.message_dict)
        return DomainError(" ".join(exc.messages))
    return None


def exception_handler(exc: Exception, context: dict[str, Any]) -> HttpResponse | None:
    if database_faults.is_database_fault(exc):
        # JSON whatever the client accepts: the browsable API's page would ask
        # the database again (the signed-in user) while it is rendered.
        database_faults.logged(context["request"], exc)
        return database_faults.api_answer()
    error = domain_error(exc)
    if error is not None:
        response = Response(as_body(error), status=http_status(error))
        seconds = retry_after(error)
        if seconds is not None:
            response["Retry-After"] = str(seconds)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    return drf_exception_handler(exc, context)
