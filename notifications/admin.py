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

Access is by role, not Django model permissions: a superuser sees every
service's policies and rota, a service admin only their own service's, anyone
else none. Shifts are read-only here: they are written on the rota pages,
whose services check overlaps and who may be on call.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, QuerySet, Subquery
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from core.admin_versions import VersionedAdminActions
from core.errors import DomainError
from core.labels import choices
from core.roles import Role
from notifications import policy_rules
from notifications.codes import Channel
from notifications.models import EscalationPolicy, EscalationStep, Heartbeat, Shift
from notifications.policy_rules import StepData, describe_step
from notifications.services import (
    PolicyInvalid,
    escalation_policy_draft_create,
    escalation_policy_may_configure,
    escalation_policy_publish,
    escalation_policy_update,
    escalation_steps_save,
)
from notifications.services.policies import named_user_candidates, step_data


def _is_configurer(request: HttpRequest) -> bool:
    """May use these admin pages at all (which service is checked per object)."""
    user: Any = request.user
    return bool(
        user.is_active
        and (user.is_superuser or (user.role == Role.SERVICE_ADMIN and user.service_id))
    )


def _may_configure(request: HttpRequest, service_id: int) -> bool:
    return escalation_policy_may_configure(user=request.user, service_id=service_id)  # type: ignore[arg-type]


def _is_draft(policy: EscalationPolicy | None) -> bool:
    return policy is not None and policy.published_at is None


class ServiceScopedAdmin(admin.ModelAdmin):
    """A superuser sees every service's rows, a service admin their own
    service's, anyone else nothing; another service's row is "not found"."""

    # Lookup from the model to its service.
    service_lookup = "service"

    def service_id_of(self, obj: Any) -> int:
        return obj.service_id

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


# --- escalation policies ---------------------------------------------------------


class EscalationStepForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=choices(Channel), widget=forms.CheckboxSelectMultiple, required=False
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
            "fraction": "Warnings only: the fraction of the target left, e.g. 0.25.",
            "delay": "After due only, days hh:mm:ss: 00:30:00 is 30 minutes after due.",
            "named_user": "Only when the step reaches a named user.",
            "repeat_every": (
                "Optional, at least 00:05:00: sent again this often until acknowledged."
            ),
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


class EscalationStepInline(admin.TabularInline):
    """The draft's steps, editable; a published policy's, read-only."""

    model = EscalationStep
    form = EscalationStepForm
    formset = EscalationStepFormSet
    extra = 0
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

    def _may(self, request: HttpRequest, policy: EscalationPolicy | None) -> bool:
        return policy is not None and _may_configure(request, policy.service_id)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (obj is None and _is_configurer(request)) or self._may(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_draft(obj) and self._may(request, obj)

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        named = formset.form.base_fields.get("named_user")
        if obj is not None and named is not None:
            # Offer only the people a step of this service may name.
            named.queryset = named_user_candidates(service=obj.service)
        return formset


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(VersionedAdminActions, ServiceScopedAdmin, SimpleHistoryAdmin):
    """A policy is never edited once published, because referrals are frozen
    to it; only a draft's note and steps can change. History can be read but
    never reverted here: a revert would write a row behind the services' back
    (and could even "unpublish" a policy)."""

    noun = "policy"
    parts = "steps"
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
    )
    list_filter = (("service", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("service", "created_by")
    ordering = ("service__code", "-number")
    inlines = [EscalationStepInline]
    actions = ["start_draft", "publish"]
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
        ("Who and when", {"fields": ("created_at", "created_by", "published_at")}),
    )
    _always_read_only = ("service", "number", "status", "created_at", "created_by", "published_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet[EscalationPolicy]:
        newest_published = (
            EscalationPolicy.objects.filter(service=OuterRef("service"), published_at__isnull=False)
            .order_by("-number")
            .values("number")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(newest_published=Subquery(newest_published))
            .prefetch_related("steps__named_user")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if _is_draft(obj):
            return self._always_read_only
        return (*self._always_read_only, "note")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None:
            return _is_configurer(request)
        return _is_draft(obj) and _may_configure(request, obj.service_id)

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    @admin.display(description="Status")
    def status(self, obj: EscalationPolicy) -> str:
        if obj.published_at is None:
            return "Draft (applies to nobody until published)"
        newest = getattr(obj, "newest_published", None)
        if newest == obj.number:
            return "Published: current, new referrals start under it"
        return "Published: superseded (referrals started under it keep it)"

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

    def save_model(
        self, request: HttpRequest, obj: EscalationPolicy, form: Any, change: bool
    ) -> None:
        # Policies are only created by services (there is no add page), so
        # this is a draft's note.
        if "note" in form.changed_data:
            escalation_policy_update(policy=obj, user=request.user, note=obj.note)  # type: ignore[arg-type]

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

    @admin.action(description="Start a new draft from this policy", permissions=["change"])
    def start_draft(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self.start_draft_for(request, queryset)

    @admin.action(description="Publish (new referrals start under it)", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self.publish_each(request, queryset)

    def create_draft(self, obj: Any, user: Any) -> Any:
        return escalation_policy_draft_create(policy=obj, user=user)

    def publish_one(self, obj: Any, user: Any) -> None:
        escalation_policy_publish(policy=obj, user=user, now=timezone.now())

    def field_label(self, field: str) -> str:
        """``steps.3.delay`` -> ``step 3, delay`` (the step at position 3)."""
        parts = field.split(".")
        if len(parts) == 3:
            return f"step {parts[1]}, {parts[2].replace('_', ' ')}"
        return field.replace("_", " ")


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
