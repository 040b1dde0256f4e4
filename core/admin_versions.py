"""The admin of a versioned configuration (pathway versions, escalation
policies; core/versioned.py): who sees which service's rows, the read-only
history, a draft's editable inline rows, and the two actions — start a draft
from a published version, and publish a draft. Both admins share the same
rules — a published version is never edited, a draft applies to nobody — so
they share this code; each says its own words and names its own services.

Access is by role, not Django model permissions: a superuser sees every
service's rows, a service admin only their own service's, anyone else none.
"""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from core.admin_history import HistoryAdmin
from core.errors import DomainError
from core.versioned import is_configurer, may_configure


def _is_configurer(request: HttpRequest) -> bool:
    return is_configurer(request.user)


def _may_configure(request: HttpRequest, service_id: int | None) -> bool:
    return may_configure(user=request.user, service_id=service_id)


def _is_draft(obj: Any) -> bool:
    return obj is not None and obj.published_at is None


class ServiceScopedAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A superuser sees every service's rows, a service admin their own
    service's, anyone else nothing; another service's row is "not found".
    Read-only unless a subclass says otherwise."""

    # Lookup from the model to its service.
    service_lookup = "service"

    def service_id_of(self, obj: Any) -> int:
        return int(obj.service_id)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        user: Any = request.user
        if user.is_superuser:
            return queryset
        if _is_configurer(request):
            return queryset.filter(**{f"{self.service_lookup}_id": user.service_id})
        return queryset.none()

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Not found, whether it belongs to another service or to none: the
        # answer never tells one from the other.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_configurer(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_configurer(request)
        return _may_configure(request, self.service_id_of(obj))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class HistoryReadOnlyAdmin(HistoryAdmin):
    """History can be read but never reverted: a revert would write a row
    behind the services' back (and could even "unpublish" a version)."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response


class DraftRowsInline(admin.TabularInline):  # type: ignore[type-arg]
    """A configuration's rows: editable on a draft of the admin's own
    service, read-only once published."""

    extra = 0
    # A row that is shown, not edited (a published version's), shows each
    # field named here by the display method it maps to: words ("24 h",
    # "suspected MSCC") rather than stored values ("1 day, 0:00:00", JSON).
    shown_as: dict[str, str] = {}

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_fields(request, obj))
        if self.has_change_permission(request, obj):
            return fields
        return [self.shown_as.get(name, name) if isinstance(name, str) else name for name in fields]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if self.has_change_permission(request, obj):
            return readonly
        return readonly + tuple(self.shown_as.values())

    def _may(self, request: HttpRequest, obj: Any) -> bool:
        return obj is not None and _may_configure(request, obj.service_id)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None and _is_configurer(request)) or self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)


class VersionedAdminActions:
    """Mixed into a ModelAdmin (which provides ``message_user``); its
    decorated ``start_draft`` and ``publish`` actions call ``start_draft_for``
    and ``publish_each``."""

    message_user: Any

    noun = "version"  # what one version is called
    parts = "parts"  # what a draft's editable rows are called
    row_noun = "part"  # what one of them is called in an error
    applies = "on"  # new referrals start ___ it
    change_url_name = ""  # the admin change page of the draft
    invalid_error: type[DomainError] = DomainError  # carries .errors by field

    def create_draft(self, obj: Any, user: Any) -> Any:
        raise NotImplementedError

    def publish_one(self, obj: Any, user: Any) -> None:
        raise NotImplementedError

    def field_label(self, field: str) -> str:
        """``steps.3.delay`` -> ``step 3, delay`` (the row the rules numbered)."""
        parts = field.split(".")
        if len(parts) == 3:
            return f"{self.row_noun} {parts[1]}, {parts[2].replace('_', ' ')}"
        return field.replace("_", " ")

    def start_draft_for(self, request: HttpRequest, queryset: Any) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(
                request,
                f"Choose exactly one {self.noun} to start the draft from.",
                messages.ERROR,
            )
            return None
        try:
            draft = self.create_draft(queryset.get(), request.user)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        self.message_user(
            request,
            f"Started draft v{draft.number}. Edit its {self.parts}, then publish it.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse(self.change_url_name, args=[draft.pk]))

    def publish_each(self, request: HttpRequest, queryset: Iterable[Any]) -> None:
        for obj in queryset:
            if obj.published_at is not None:
                self.message_user(
                    request,
                    f"{obj} is already published. Start a new draft from it to change it.",
                    messages.ERROR,
                )
                continue
            try:
                self.publish_one(obj, request.user)
            except self.invalid_error as error:
                self.message_user(request, self._invalid_message(obj, error), messages.ERROR)
            except DomainError as error:
                self.message_user(
                    request, f"{obj} was not published: {error.message}", messages.ERROR
                )
            else:
                self.message_user(
                    request,
                    f"Published {obj}: new referrals start {self.applies} it; referrals "
                    f"already started keep their {self.noun}.",
                    messages.SUCCESS,
                )

    def _invalid_message(self, obj: Any, error: Any) -> str:
        return format_html(
            "{} was not published:<ul>{}</ul>",
            obj,
            format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (self.field_label(field), message)
                    for field, field_messages in error.errors.items()
                    for message in field_messages
                ),
            ),
        )


class VersionedConfigurationAdmin(VersionedAdminActions, ServiceScopedAdmin, HistoryReadOnlyAdmin):
    """A configuration is never edited once published, because referrals are
    frozen to it; only a draft's note and rows change, through the services
    ``note_update`` and ``save_formset`` call. The list says which version is
    current; the actions start a draft and publish one."""

    actions = ["start_draft", "publish"]
    list_filter = (("service", admin.RelatedOnlyFieldListFilter),)
    ordering = ("service__code", "-number")
    _always_read_only = (
        "service",
        "number",
        "status",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )
    who_and_when = ("Who and when", {"fields": _always_read_only[3:]})

    def note_update(self, obj: Any, user: Any, note: str) -> None:
        raise NotImplementedError

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        newest_published = (
            self.model._default_manager.filter(
                service=OuterRef("service"), published_at__isnull=False
            )
            .order_by("-number")
            .values("number")[:1]
        )
        queryset: QuerySet[Any] = super().get_queryset(request)
        annotated: QuerySet[Any] = queryset.annotate(newest_published=Subquery(newest_published))
        return annotated

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _is_draft(obj):
            return self._always_read_only
        return (*self._always_read_only, "note")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_configurer(request)
        return _is_draft(obj) and _may_configure(request, obj.service_id)

    @admin.display(description="Status")
    def status(self, obj: Any) -> str:
        if obj.published_at is None:
            return "Draft (applies to nobody until published)"
        newest = getattr(obj, "newest_published", None)
        if newest == obj.number:
            return f"Published: current, new referrals start {self.applies} it"
        return f"Published: superseded (referrals started {self.applies} it keep it)"

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        # The forms check what was typed; a service may still refuse (the draft
        # was published meanwhile, a named user left). The admin's transaction
        # has then rolled back, so nothing is half saved: say why and show the
        # page again.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Configurations are only created by services (there is no add page),
        # so this is a draft's note.
        if "note" in form.changed_data:
            self.note_update(obj, request.user, obj.note)

    @admin.action(
        description="Start a new draft from this %(verbose_name)s", permissions=["change"]
    )
    def start_draft(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self.start_draft_for(request, queryset)

    @admin.action(
        description="Publish (it applies to new referrals from then on)", permissions=["change"]
    )
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self.publish_each(request, queryset)
