"""Django admin for pathways: service admins configure their own service's
pathway here (docs/clinical-rules.md, section 4).

A published version is read-only. The "Start a new draft from this pathway
version" action copies it into a draft; the draft's clock definitions are
edited inline; the "Publish" action checks the whole draft and makes it the
version new referrals start on. Every write goes through pathways.services,
which keeps history with the acting user; the forms here only check what an
admin typed, with the same rules (pathways/definition_rules.py) that
publishing applies. Access, history, drafts and publishing are the shared
versioned-configuration admin (core/admin_versions.py).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html

from core.admin_versions import (
    DraftRowsInline,
    HistoryReadOnlyAdmin,
    ServiceScopedAdmin,
    VersionedConfigurationAdmin,
)
from core.durations import hours_minutes
from core.forms import HoursMinutesField
from core.labels import choices, label_of
from pathways import definition_rules
from pathways.codes import ClockAnchor, ClockCondition, EventKind
from pathways.definition_rules import DefinitionData
from pathways.models import ClockDefinition, PathwayVersion
from pathways.services import (
    PathwayInvalid,
    clock_definition_create,
    clock_definition_delete,
    clock_definition_update,
    pathway_version_draft_create,
    pathway_version_publish,
    pathway_version_update,
)
from pathways.services.versions import definition_data
from referrals.codes import Category

LONGER_THAN_NG234 = "longer than NG234"
LONGER_THAN_NG234_TITLE = "Longer than NG234"


def _flag(definition: ClockDefinition) -> str:
    if not definition.exceeds_ng234:
        return "—"
    return format_html('<strong style="color:#d5281b">⚠ {}</strong>', LONGER_THAN_NG234_TITLE)


STOP_CHOICES = [(code, EventKind(code).label) for code in sorted(definition_rules.STOP_EVENTS)]
# The anchors first (where most clocks start), then the clinical events.
START_CHOICES = ClockAnchor.choices() + STOP_CHOICES
_EVENT_WORDS = dict(START_CHOICES)
TARGET_HELP = (
    "Hours and minutes: 24 h, 1 h 30 min or 90 min; 7 d is 7 days. Blank: measured "
    "(no target, never overdue, never escalated), only where NG234 sets no time."
)


def _target_words(target: Any) -> str:
    return hours_minutes(target) if target is not None else "Measured (no target)"


def _categories_words(codes: Any) -> str:
    codes = codes if isinstance(codes, list | tuple) else []
    return ", ".join(label_of("Category", c) for c in codes) or "—"


def _event_words(code: str) -> str:
    return _EVENT_WORDS.get(code, code)


class ClockDefinitionForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        choices=choices(Category), widget=forms.CheckboxSelectMultiple, required=False
    )
    start_event = forms.ChoiceField(choices=START_CHOICES)
    stop_event = forms.ChoiceField(choices=STOP_CHOICES)
    # Not given: always (the condition most clocks have).
    applies_when = forms.ChoiceField(choices=ClockCondition.choices(), required=False)
    target = HoursMinutesField(label="Target", help_text=TARGET_HELP)

    class Meta:
        model = ClockDefinition
        fields = (
            "kind",
            "categories",
            "start_event",
            "stop_event",
            "applies_when",
            "target",
            "reference",
            "justification",
        )
        widgets = {"justification": forms.Textarea(attrs={"rows": 2, "cols": 30})}
        help_texts = {
            "applies_when": "Beyond the categories: when NG234 says this clock applies.",
        }

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
        reference=cleaned.get("reference") or "",
        justification=cleaned.get("justification") or "",
        applies_when=cleaned.get("applies_when") or ClockCondition.ALWAYS,
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


class ClockDefinitionInline(DraftRowsInline):
    """The draft's clocks, editable; a published version's, read-only."""

    model = ClockDefinition
    form = ClockDefinitionForm
    formset = ClockDefinitionFormSet
    fields = (
        "kind",
        "categories",
        "start_event",
        "stop_event",
        "applies_when",
        "target",
        "reference",
        "ng234",
        "longer_than_ng234",
        "justification",
    )
    readonly_fields = ("ng234", "longer_than_ng234")
    shown_as = {
        "categories": "categories_words",
        "start_event": "start_words",
        "stop_event": "stop_words",
        "target": "target_words",
    }

    @admin.display(description="NG234 target")
    def ng234(self, obj: ClockDefinition) -> str:
        return hours_minutes(obj.ng234_target) if obj.ng234_target is not None else "—"

    @admin.display(description="Categories")
    def categories_words(self, obj: ClockDefinition) -> str:
        return _categories_words(obj.categories)

    @admin.display(description="Starts at")
    def start_words(self, obj: ClockDefinition) -> str:
        return _event_words(obj.start_event)

    @admin.display(description="Stops at")
    def stop_words(self, obj: ClockDefinition) -> str:
        return _event_words(obj.stop_event)

    @admin.display(description="Target")
    def target_words(self, obj: ClockDefinition) -> str:
        return _target_words(obj.target)

    @admin.display(description=LONGER_THAN_NG234_TITLE)
    def longer_than_ng234(self, obj: ClockDefinition) -> str:
        return _flag(obj)


@admin.register(PathwayVersion)
class PathwayVersionAdmin(VersionedConfigurationAdmin):
    """A version is never edited once published, because referrals are frozen
    to it; only a draft's note and clocks can change."""

    noun = "version"
    parts = "clocks"
    row_noun = "clock"
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
    list_select_related = ("service", "created_by", "published_by")
    inlines = [ClockDefinitionInline]
    fieldsets = (
        (
            None,
            {
                "fields": ("service", "number", "status", "note"),
                "description": (
                    "A draft applies to nobody. Edit its clocks below and save; then tick it "
                    "in the list and run “Publish”. New referrals start on the newest "
                    "published version; referrals already started keep theirs. When a "
                    "warning fires before a clock is due is set by the escalation policy."
                ),
            },
        ),
        VersionedConfigurationAdmin.who_and_when,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[PathwayVersion]:
        return super().get_queryset(request).prefetch_related("clock_definitions")

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

    def note_update(self, obj: Any, user: Any, note: str) -> None:
        pathway_version_update(version=obj, user=user, note=note)

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

    def create_draft(self, obj: Any, user: Any) -> Any:
        return pathway_version_draft_create(version=obj, user=user)

    def publish_one(self, obj: Any, user: Any) -> None:
        pathway_version_publish(version=obj, user=user, now=timezone.now())


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
class ClockDefinitionAdmin(ServiceScopedAdmin, HistoryReadOnlyAdmin):
    """Every clock of the pathways an admin may see, flagged where longer than
    NG234. Read-only: clocks are edited on their draft version's page."""

    service_lookup = "version__service"
    list_display = (
        "version",
        "kind",
        "categories_described",
        "start_described",
        "stop_described",
        "applies_when",
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

    def service_id_of(self, obj: ClockDefinition) -> int:
        return obj.version.service_id

    @admin.display(description="Categories")
    def categories_described(self, obj: ClockDefinition) -> str:
        return _categories_words(obj.categories)

    @admin.display(description="Starts at", ordering="start_event")
    def start_described(self, obj: ClockDefinition) -> str:
        return _event_words(obj.start_event)

    @admin.display(description="Stops at", ordering="stop_event")
    def stop_described(self, obj: ClockDefinition) -> str:
        return _event_words(obj.stop_event)

    @admin.display(description="Target", ordering="target")
    def target_described(self, obj: ClockDefinition) -> str:
        return _target_words(obj.target)

    @admin.display(description="NG234 target")
    def ng234(self, obj: ClockDefinition) -> str:
        return hours_minutes(obj.ng234_target) if obj.ng234_target is not None else "—"

    @admin.display(description=LONGER_THAN_NG234_TITLE)
    def longer_than_ng234(self, obj: ClockDefinition) -> str:
        return _flag(obj)
