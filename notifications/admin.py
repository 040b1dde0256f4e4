"""Django admin for notifications: escalation policies, the rota, heartbeats.

Escalation policies (docs/clinical-rules.md, section 7) follow the pathway admin
(pathways/admin.py). A published policy is read-only, because each referral
is frozen to the policy it started under. The "Start a new draft from this
policy" action copies it into a draft; the draft's steps are edited inline;
the "Publish" action checks the whole draft and makes it the policy new
referrals start under. Every write goes through notifications.services, which
keeps history with the acting user; the forms here only check what an admin
typed, with the same rules (notifications/policy_rules.py) that publishing
applies.

Access, history, drafts and publishing are the shared versioned-configuration
admin (core/admin_versions.py): a superuser sees every service's policies and
rota, a service admin only their own service's, anyone else none. Shifts are
read-only here: they are written on the rota pages, whose services check
overlaps and who may be on call.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin_versions import DraftRowsInline, ServiceScopedAdmin, VersionedConfigurationAdmin
from core.durations import hours_minutes
from core.forms import HoursMinutesField
from core.labels import choices, label_of
from notifications import policy_rules
from notifications.codes import Channel
from notifications.models import EscalationPolicy, EscalationStep, Heartbeat, Shift
from notifications.policy_rules import StepData, describe_step
from notifications.services import (
    PolicyInvalid,
    escalation_policy_draft_create,
    escalation_policy_publish,
    escalation_policy_update,
    escalation_steps_save,
)
from notifications.services.policies import named_user_candidates, step_data

# --- escalation policies ---------------------------------------------------------


def _channels_words(codes: Any) -> str:
    codes = codes if isinstance(codes, list | tuple) else []
    return ", ".join(label_of("Channel", c) for c in codes) or "—"


def _fraction_words(fraction: float | None) -> str:
    return "—" if fraction is None else f"warns with {fraction:.0%} of the target time left"


def _after_words(delay: Any) -> str:
    return "—" if delay is None else f"after {hours_minutes(delay)}"


def _every_words(repeat: Any) -> str:
    return "No repeats" if repeat is None else f"every {hours_minutes(repeat)}"


class EscalationStepForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=choices(Channel), widget=forms.CheckboxSelectMultiple, required=False
    )
    delay = HoursMinutesField(
        label="Delay",
        help_text="After due only: how long after the due time, e.g. 30 min, 1 h 30 min, 4 h.",
    )
    repeat_every = HoursMinutesField(
        label="Repeat every",
        help_text=(
            "Optional, at least 5 min: sent again this often until acknowledged, "
            "e.g. 15 min or 1 h."
        ),
    )

    class Meta:
        model = EscalationStep
        fields = (
            "position",
            "when",
            "fraction",
            "delay",
            "recipient",
            "named_user",
            "channels",
            "repeat_every",
        )
        help_texts = {
            "position": "Steps are listed in this order.",
            "fraction": (
                "Warnings only: the fraction of the target time left when it warns, "
                "e.g. 0.25 warns with 25% (a quarter) of the time left."
            ),
            "named_user": "Only when the step reaches a named user.",
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for field, messages_ in policy_rules.step_errors(_data(cleaned)).items():
            # A field whose own check failed has already said what is wrong.
            if field not in self.errors:
                self.add_error(field if field in self.fields else None, messages_)
        return cleaned


def _data(cleaned: dict[str, Any]) -> StepData:
    named = cleaned.get("named_user")
    return StepData(
        position=cleaned.get("position"),  # type: ignore[arg-type]
        when=cleaned.get("when") or "",
        recipient=cleaned.get("recipient") or "",
        channels=list(cleaned.get("channels") or []),
        fraction=cleaned.get("fraction"),
        delay=cleaned.get("delay"),
        named_user_id=named.pk if named is not None else None,
        repeat_every=cleaned.get("repeat_every"),
    )


class EscalationStepFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        # Before Django's own duplicate check, so the admin reads which
        # position is taken twice rather than "correct the duplicate data".
        if not any(self.errors):
            kept = [
                _data(form.cleaned_data)
                for form in self.forms
                if form.cleaned_data and not self._should_delete_form(form)
            ]
            errors = policy_rules.position_errors(kept)
            if errors:
                raise ValidationError(errors["position"])
        super().clean()


class EscalationStepInline(DraftRowsInline):
    """The draft's steps, editable; a published policy's, read-only."""

    model = EscalationStep
    form = EscalationStepForm
    formset = EscalationStepFormSet
    fields = (
        "position",
        "when",
        "fraction",
        "delay",
        "recipient",
        "named_user",
        "channels",
        "repeat_every",
    )

    shown_as = {
        "fraction": "fraction_words",
        "delay": "delay_words",
        "channels": "channels_words",
        "repeat_every": "repeat_words",
    }

    @admin.display(description="Fraction")
    def fraction_words(self, obj: EscalationStep) -> str:
        return _fraction_words(obj.fraction)

    @admin.display(description="Delay")
    def delay_words(self, obj: EscalationStep) -> str:
        return _after_words(obj.delay)

    @admin.display(description="Channels")
    def channels_words(self, obj: EscalationStep) -> str:
        return _channels_words(obj.channels)

    @admin.display(description="Repeat every")
    def repeat_words(self, obj: EscalationStep) -> str:
        return _every_words(obj.repeat_every)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        named = formset.form.base_fields.get("named_user")
        if obj is not None and named is not None:
            # Offer only the people a step of this service may name.
            named.queryset = named_user_candidates(service=obj.service)
        return formset


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(VersionedConfigurationAdmin):
    """A policy is never edited once published, because referrals are frozen
    to it; only a draft's note and steps can change."""

    noun = "policy"
    parts = "steps"
    row_noun = "step"
    applies = "under"
    change_url_name = "admin:notifications_escalationpolicy_change"
    invalid_error = PolicyInvalid

    list_display = (
        "__str__",
        "status",
        "steps_described",
        "note",
        "created_at",
        "created_by",
        "published_at",
        "published_by",
    )
    list_select_related = ("service", "created_by", "published_by")
    inlines = [EscalationStepInline]
    fieldsets = (
        (
            None,
            {
                "fields": ("service", "number", "status", "note"),
                "description": (
                    "A draft applies to nobody. Edit its steps below and save; then tick it "
                    "in the list and run “Publish”. New referrals start under the newest "
                    "published policy; referrals already started keep theirs. At least one "
                    "step must reach the on-call coordinator at or before due "
                    "(NG234 1.1.6, 1.1.7)."
                ),
            },
        ),
        VersionedConfigurationAdmin.who_and_when,
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[EscalationPolicy]:
        return super().get_queryset(request).prefetch_related("steps__named_user")

    def note_update(self, obj: Any, user: Any, note: str) -> None:
        escalation_policy_update(policy=obj, user=user, note=note)

    @admin.display(description="Steps")
    def steps_described(self, obj: EscalationPolicy) -> str:
        steps = sorted(obj.steps.all(), key=lambda s: (s.position, s.pk))
        if not steps:
            return "—"
        return format_html(
            "<ol>{}</ol>",
            format_html_join(
                "",
                "<li>{}</li>",
                (
                    (describe_step(step_data(s), str(s.named_user) if s.named_user else ""),)
                    for s in steps
                ),
            ),
        )

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.save(commit=False)  # fills in new/changed/deleted_objects, writes nothing
        new = list(formset.new_objects)
        created = escalation_steps_save(
            policy=form.instance,
            user=request.user,  # type: ignore[arg-type]
            created=[step_data(s) for s in new],
            updated=[(s, step_data(s)) for s, _changed in formset.changed_objects],
            deleted=list(formset.deleted_objects),
        )
        for step, saved in zip(new, created, strict=True):
            step.pk = saved.pk

    def create_draft(self, obj: Any, user: Any) -> Any:
        return escalation_policy_draft_create(policy=obj, user=user)

    def publish_one(self, obj: Any, user: Any) -> None:
        escalation_policy_publish(policy=obj, user=user, now=timezone.now())


# --- rota and heartbeats -----------------------------------------------------------


@admin.register(Shift)
class ShiftAdmin(ServiceScopedAdmin):
    """Read-only: shifts are added and removed on the rota pages, whose
    services refuse overlaps and people who may not be on call."""

    list_display = ("service", "role", "user", "starts_at", "ends_at")
    list_filter = (("service", admin.RelatedOnlyFieldListFilter), "role")
    list_select_related = ("service", "user")
    date_hierarchy = "starts_at"


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    """Read-only: only the sweep and the workers write heartbeats."""

    list_display = ("name", "at", "worker")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
