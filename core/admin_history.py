"""simple-history's admin, whose history pages answer 404 for an id that is
not one.

simple-history queries with the id as typed in the URL, so
``/admin/<app>/<model>/abc/history/`` raised ``ValueError`` or
``ValidationError`` inside the view: a 500. Every admin of the project with
history builds on ``HistoryAdmin`` instead of ``SimpleHistoryAdmin``.
"""

from typing import Any

from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.http import Http404, HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin


def _checked(field: "Field[Any, Any]", value: str) -> None:
    try:
        field.to_python(unquote(value))
    except (ValidationError, ValueError, TypeError) as exc:
        raise Http404("No such record.") from exc


# simple-history is untyped, so its admin is Any to mypy.
class HistoryAdmin(SimpleHistoryAdmin):  # type: ignore[misc]
    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        _checked(self.model._meta.pk, object_id)
        response: HttpResponse = super().history_view(request, object_id, extra_context)
        return response

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        _checked(self.model._meta.pk, object_id)
        _checked(self.model.history.model._meta.pk, version_id)
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response
