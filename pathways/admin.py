"""Django admin for pathways: service admins configure their own service's
pathway here (DESIGN.md section 4).

A published version is read-only. The "Start a new draft from this version"
action copies it into a draft; the draft's clock definitions are edited inline;
the "Publish" action checks the whole draft and makes it the version new
referrals start on. Every write goes through pathways.services, which keeps
history with the acting user; the forms here only check what an admin typed,
with the same rules (pathways/definition_rules.py) that publishing applies.

Access is by role, not Django model permissions: a superuser sees every
service's pathway, a service admin only their own service's, anyone else none.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from core.admin_versions import VersionedAdminActions
from core.errors import DomainError
from core.labels import choices
from core.roles import Role
from pathways import definition_rules
from pathways.codes import ClockAnchor, EventKind
from pathways.definition_rules import DefinitionData, describe
from pathways.models import ClockDefinition, PathwayVersion
from pathways.services import (
    PathwayInvalid,
    clock_definition_create,
    clock_definition_delete,
    clock_definition_update,
    pathway_may_configure,
    pathway_version_draft_create,
    pathway_version_publish,
    pathway_version_update,
)
from pathways.services.versions import definition_data
from referrals.codes import Category

LONGER_THAN_NG234 = "longer than NG234"
LONGER_THAN_NG234_TITLE = "Longer than NG234"


def _is_configurer(request: HttpRequest) -> bool:
    """May use the pathway admin at all (which service is checked per object)."""
    user: Any = request.user
    return bool(
        user.is_active
        and (user.is_superuser or (user.role == Role.SERVICE_ADMIN and user.service_id))
    )


def _may_configure(request: HttpRequest, version: PathwayVersion) -> bool:
    return pathway_may_configure(user=request.user, service_id=version.service_id)  # type: ignore[arg-type]


def _is_draft(version: PathwayVersion | None) -> bool:
    return version is not None and version.published_at is None


def _flag(definition: ClockDefinition) -> str:
    if not definition.exceeds_ng234:
        return "—"
    return format_html('<strong style="color:#d5281b">⚠ {}</strong>', LONGER_THAN_NG234_TITLE)


class PathwayScopedAdmin(SimpleHistoryAdmin):
    """Role-scoped access shared by the version and definition admins.

    History can be read but never reverted here: a revert would write a row
    behind the services' back (and could even "unpublish" a version).
    """

    # Lookup from the model to its service.
    service_lookup = "service"

    def version_of(self, obj: Any) -> PathwayVersion:
        raise NotImplementedError

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
        return _may_configure(request, self.version_of(obj))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class WarningFractionsField(forms.CharField):
    """Warning points typed as "0.5, 0.25", stored as a JSON list of numbers."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return []
        try:
            return [float(part) for part in text.split(",") if part.strip()]
        except ValueError:
            raise ValidationError(
                "Type the warning points as numbers separated by commas, e.g. 0.5, 0.25."
            ) from None


STOP_CHOICES = [(code, EventKind(code).label) for code in sorted(definition_rules.STOP_EVENTS)]
# The anchors first (where most clocks start), then the clinical events.
START_CHOICES = ClockAnchor.choices() + STOP_CHOICES


class ClockDefinitionForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        choices=choices(Category), widget=forms.CheckboxSelectMultiple, required=False
    )
    start_event = forms.ChoiceField(choices=START_CHOICES)
    stop_event = forms.ChoiceField(choices=STOP_CHOICES)
    warning_fractions = WarningFractionsField(
        required=False,
        help_text="Fractions of the target left when a warning fires, e.g. 0.5, 0.25.",
    )

    class Meta:
        model = ClockDefinition
        fields = (
            "kind",
            "categories",
            "start_event",
            "stop_event",
            "target",
            "warning_fractions",
            "reference",
            "justification",
        )
        widgets = {"justification": forms.Textarea(attrs={"rows": 2, "cols": 30})}
        help_texts = {"target": "Days hh:mm:ss: 1 00:00:00 is 24 hours, 00:30:00 is 30 minutes."}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, messages_ in definition_rules.definition_errors(_data(cleaned)).items():
            # A field whose own check failed has already said what is wrong.
            if field not in self.errors:
                self.add_error(field, messages_)
        return cleaned


def _data(cleaned: dict[str, Any]) -> DefinitionData:
    return DefinitionData(
        kind=cleaned.get("kind") or "",
        categories=cleaned.get("categories") or [],
        start_event=cleaned.get("start_event") or "",
        stop_event=cleaned.get("stop_event") or "",
        target=cleaned.get("target"),
        warning_fractions=cleaned.get("warning_fractions") or [],
        reference=cleaned.get("reference") or "",
        justification=cleaned.get("justification") or "",
    )


class ClockDefinitionFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            _data(form.cleaned_data)
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]
        errors = definition_rules.overlap_errors(kept)
        if errors:
            raise ValidationError(errors["clock_definitions"])


class ClockDefinitionInline(admin.TabularInline):
    """The draft's clocks, editable; a published version's, read-only."""

    model = ClockDefinition
    form = ClockDefinitionForm
    formset = ClockDefinitionFormSet
    extra = 0
    fields = (
        "kind",
        "categories",
        "start_event",
        "stop_event",
        "target",
        "warning_fractions",
        "reference",
        "ng234",
        "longer_than_ng234",
        "justification",
    )
    readonly_fields = ("ng234", "longer_than_ng234")

    @admin.display(description="NG234 target")
    def ng234(self, obj: ClockDefinition) -> str:
        return describe(obj.ng234_target) if obj.ng234_target is not None else "—"

    @admin.display(description=LONGER_THAN_NG234_TITLE)
    def longer_than_ng234(self, obj: ClockDefinition) -> str:
        return _flag(obj)

    def _may(self, request: HttpRequest, version: PathwayVersion | None) -> bool:
        return version is not None and _may_configure(request, version)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None and _is_configurer(request)) or self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)


@admin.register(PathwayVersion)
class PathwayVersionAdmin(VersionedAdminActions, PathwayScopedAdmin):
    """A version is never edited once published, because referrals are frozen
    to it; only a draft's note and clocks can change."""

    noun = "version"
    parts = "clocks"
    applies = "on"
    change_url_name = "admin:pathways_pathwayversion_change"
    invalid_error = PathwayInvalid

    list_display = (
        "__str__",
        "status",
        "clocks_longer_than_ng234",
        "note",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )
    list_filter = (("service", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("service", "created_by", "published_by")
    ordering = ("service__code", "-number")
    inlines = [ClockDefinitionInline]
    actions = ["start_draft", "publish"]
    fieldsets = (
        (
            None,
            {
                "fields": ("service", "number", "status", "note"),
                "description": (
                    "A draft applies to nobody. Edit its clocks below and save; then tick it "
                    "in the list and run “Publish”. New referrals start on the newest "
                    "published version; referrals already started keep theirs."
                ),
            },
        ),
        ("Who and when", {"fields": ("created_at", "created_by", "published_at", "published_by")}),
    )
    _always_read_only = (
        "service",
        "number",
        "status",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )

    def version_of(self, obj: PathwayVersion) -> PathwayVersion:
        return obj

    def get_queryset(self, request: HttpRequest) -> QuerySet[PathwayVersion]:
        newest_published = (
            PathwayVersion.objects.filter(service=OuterRef("service"), published_at__isnull=False)
            .order_by("-number")
            .values("number")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(newest_published=Subquery(newest_published))
            .prefetch_related("clock_definitions")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _is_draft(obj):
            return self._always_read_only
        return (*self._always_read_only, "note")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_configurer(request)
        return _is_draft(obj) and _may_configure(request, obj)

    @admin.display(description="Status")
    def status(self, obj: PathwayVersion) -> str:
        if obj.published_at is None:
            return "Draft (applies to nobody until published)"
        newest = getattr(obj, "newest_published", None)
        if newest == obj.number:
            return "Published: current, new referrals start on it"
        return "Published: superseded (referrals started on it keep it)"

    @admin.display(description="Clocks longer than NG234")
    def clocks_longer_than_ng234(self, obj: PathwayVersion) -> str:
        longer = [d for d in obj.clock_definitions.all() if d.exceeds_ng234]
        if not longer:
            return "—"
        return format_html(
            '<strong style="color:#d5281b">⚠ {} {}</strong>',
            len(longer),
            LONGER_THAN_NG234,
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: Any = None,
    ) -> HttpResponse:
        # The forms check what was typed; a service may still refuse (the draft
        # was published meanwhile). The admin's transaction has then rolled
        # back, so nothing is half saved: say why and show the page again.
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(request.path)

    def save_model(
        self, request: HttpRequest, obj: PathwayVersion, form: Any, change: bool
    ) -> None:
        # Versions are only created by services (there is no add page), so
        # this is a draft's note.
        if "note" in form.changed_data:
            pathway_version_update(version=obj, user=request.user, note=obj.note)  # type: ignore[arg-type]

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.save(commit=False)  # fills in new/changed/deleted_objects, writes nothing
        user: Any = request.user
        for definition in formset.deleted_objects:
            clock_definition_delete(definition=definition, user=user)
        for definition, _changed in formset.changed_objects:
            clock_definition_update(
                definition=definition, user=user, data=definition_data(definition)
            )
        for definition in formset.new_objects:
            created = clock_definition_create(
                version=form.instance, user=user, data=definition_data(definition)
            )
            definition.pk = created.pk

    @admin.action(description="Start a new draft from this version", permissions=["change"])
    def start_draft(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.start_draft_for(request, queryset)

    @admin.action(description="Publish (new referrals start on it)", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.publish_each(request, queryset)

    def create_draft(self, obj: Any, user: Any) -> Any:
        return pathway_version_draft_create(version=obj, user=user)

    def publish_one(self, obj: Any, user: Any) -> None:
        pathway_version_publish(version=obj, user=user, now=timezone.now())

    def field_label(self, field: str) -> str:
        """``clock_definitions.3.target`` -> ``clock 3, target`` (the 3rd row)."""
        parts = field.split(".")
        if len(parts) == 3:
            return f"clock {parts[1]}, {parts[2]}"
        return field.replace("_", " ")


class LongerThanNg234Filter(admin.SimpleListFilter):
    title = LONGER_THAN_NG234
    parameter_name = "longer_than_ng234"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", LONGER_THAN_NG234_TITLE)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(ng234_target__isnull=False, target__gt=F("ng234_target"))
        return queryset


@admin.register(ClockDefinition)
class ClockDefinitionAdmin(PathwayScopedAdmin):
    """Every clock of the pathways an admin may see, flagged where longer than
    NG234. Read-only: clocks are edited on their draft version's page."""

    service_lookup = "version__service"
    list_display = (
        "version",
        "kind",
        "categories_described",
        "start_event",
        "stop_event",
        "target_described",
        "ng234",
        "longer_than_ng234",
        "reference",
        "justification",
    )
    list_filter = (
        LongerThanNg234Filter,
        "kind",
        ("version__service", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("version__service",)
    ordering = ("version__service__code", "-version__number", "id")

    def version_of(self, obj: ClockDefinition) -> PathwayVersion:
        return obj.version

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="Categories")
    def categories_described(self, obj: ClockDefinition) -> str:
        return ", ".join(str(c) for c in obj.categories)

    @admin.display(description="Target", ordering="target")
    def target_described(self, obj: ClockDefinition) -> str:
        return describe(obj.target)

    @admin.display(description="NG234 target")
    def ng234(self, obj: ClockDefinition) -> str:
        return describe(obj.ng234_target) if obj.ng234_target is not None else "—"

    @admin.display(description=LONGER_THAN_NG234_TITLE)
    def longer_than_ng234(self, obj: ClockDefinition) -> str:
        return _flag(obj)
