"""The referral page's forms, each posted to its own URL: record an event,
withdraw one, change the status, record an MDT decision, mark a clock not
appropriate, record a score, change the category, confirm or correct the
suspicion time, link a duplicate, acknowledge an escalation.
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.http import require_POST
from rest_framework.serializers import Serializer

from coordinator import forms, services
from coordinator.inputs import (
    CategoryOverrideInput,
    EventInput,
    LinkInput,
    MdtInput,
    NotAppropriateInput,
    StatusInput,
    SuspectedAtInput,
)
from coordinator.templatetags.referral_pages import when
from coordinator.views.common import PageRequest, _scoped_referral, page, referral_path
from coordinator.views.detail import LIVE_PANELS, Perform, _act, _detail, _fragments
from coordinator.views.detail_context import Submitted, band_label
from core.errors import Conflict, DomainError, NotFound, field_errors, http_status
from core.labels import label_of
from notifications.services.escalations import clock_escalations_acknowledge
from pathways.api.scores import ScoreRecordInput
from pathways.codes import ClockKind, EventKind, MdtDecisionKind, ScoreKind
from pathways.services import score_record
from referrals.codes import Category, ReferralStatus
from referrals.models import Referral


@page("referral_event")
@require_POST
def referral_event(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Record a clinical event (the clocks start and stop from it). The
    Acknowledge button posts here too, as the event it is."""
    referral = _scoped_referral(request, referral_id)
    form = "acknowledge" if request.POST.get("form") == "acknowledge" else "event"

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        services.referral_event_add(
            referral=referral,
            user=request.user,
            now=now,
            kind=data["kind"],
            occurred_at=data["occurred_at"] or now,
            details=data["details"],
            corrects=data["corrects"],
            ambulatory=data["ambulatory"],
        )
        if data["kind"] == EventKind.ACKNOWLEDGED:
            return f"Acknowledged {referral.reference}."
        return f"Recorded: {EventKind(data['kind']).label}."

    return _act(
        request,
        referral,
        form=form,
        # The Acknowledge button has no inputs: whatever is wrong is said beside it.
        names=forms.EVENT_FIELDS if form == "event" else (),
        body=EventInput(data=forms.form_data(request.POST, forms.EVENT_FIELDS)),
        perform=perform,
    )


@page("referral_event")
@require_POST
def referral_event_withdraw(
    request: PageRequest, referral_id: UUID, event_id: UUID
) -> HttpResponse:
    """Withdraw an event recorded by mistake (an entered_in_error event naming
    it, with the reason); what it did to the clocks is undone."""
    referral = _scoped_referral(request, referral_id)
    wrong = get_object_or_404(referral.events.all(), pk=event_id)
    data = forms.form_data(request.POST, forms.WITHDRAW_FIELDS)
    body = {"kind": EventKind.ENTERED_IN_ERROR.value, "corrects": str(wrong.pk)}
    if "reason" in data:
        body["details"] = data["reason"]

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        services.referral_event_add(
            referral=referral,
            user=request.user,
            now=now,
            kind=EventKind.ENTERED_IN_ERROR,
            occurred_at=now,
            details=data["details"],
            corrects=data["corrects"],
        )
        label = label_of("EventKind", wrong.kind)
        return f"Withdrawn as entered in error: {label}."

    return _act(
        request,
        referral,
        form="withdraw",
        names=forms.WITHDRAW_FIELDS,
        body=EventInput(data=body),
        perform=perform,
        renamed={"details": "reason"},
        row=str(wrong.pk),
    )


@page("referral_status")
@require_POST
def referral_status(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Move the referral along the state map, with the fields the move needs."""
    referral = _scoped_referral(request, referral_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        services.referral_status_change(referral=referral, user=request.user, now=now, **data)
        return f"Status changed to {ReferralStatus(data['status']).label}."

    return _act(
        request,
        referral,
        form="status",
        names=forms.STATUS_FIELDS,
        body=StatusInput(data=forms.form_data(request.POST, forms.STATUS_FIELDS)),
        perform=perform,
        # A refused move (not on the state map, already acknowledged) is
        # about the status chosen.
        renamed={forms.NON_FIELD: "status"},
    )


@page("referral_mdt")
@require_POST
def referral_mdt(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Record an MDT decision and care plan; a decision to treat with
    radiotherapy starts the 24-hour radiotherapy clock (NG234 1.10.4)."""
    referral = _scoped_referral(request, referral_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        services.referral_mdt_record(referral=referral, user=request.user, now=now, **data)
        return f"MDT decision recorded: {MdtDecisionKind(data['decision']).label}."

    return _act(
        request,
        referral,
        form="mdt",
        names=forms.MDT_FIELDS,
        body=MdtInput(data=forms.form_data(request.POST, forms.MDT_FIELDS)),
        perform=perform,
    )


@page("clock_not_appropriate")
@require_POST
def referral_clock_not_appropriate(
    request: PageRequest, referral_id: UUID, clock_id: UUID
) -> HttpResponse:
    """Mark a clock "not appropriate" with a reason: out of the QS56 denominator."""
    referral = _scoped_referral(request, referral_id)
    clock = get_object_or_404(referral.clocks.all(), pk=clock_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        services.referral_clock_not_appropriate(
            referral=referral, clock_id=clock.pk, reason=data["reason"], user=request.user, now=now
        )
        return f"{ClockKind(clock.kind).label} clock marked not appropriate."

    return _act(
        request,
        referral,
        form="not_appropriate",
        names=forms.NOT_APPROPRIATE_FIELDS,
        body=NotAppropriateInput(data=forms.form_data(request.POST, forms.NOT_APPROPRIATE_FIELDS)),
        perform=perform,
        row=str(clock.pk),
    )


@page("score_record")
@require_POST
def referral_score(request: PageRequest, referral_id: UUID, kind: str) -> HttpResponse:
    """Record a SINS or revised Tokuhashi score: support to a full clinical
    assessment, never a decision (NG234 1.9.3)."""
    if kind not in {k.value for k in ScoreKind}:
        raise Http404("No such score.")
    referral = _scoped_referral(request, referral_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        record = score_record(
            referral=referral, kind=data["kind"], inputs=data["inputs"], user=request.user
        )
        band = band_label(record.kind, record.band)
        return f"{ScoreKind(record.kind).label} recorded: {record.score}, {band}."

    return _act(
        request,
        referral,
        form=kind,
        names=forms.SCORE_FIELDS[kind],
        body=ScoreRecordInput(data=forms.score_data(kind, request.POST)),
        perform=perform,
    )


@page("referral_category")
@require_POST
def referral_category(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """A coordinator changes the category, with a reason; the clocks follow."""
    referral = _scoped_referral(request, referral_id)
    values = {name: request.POST.get(name, "") for name in ("category", "reason")}
    # Empty inputs are left out, as for the referral form: "required", not "unknown code".
    body = CategoryOverrideInput(data={k: v for k, v in values.items() if v != ""})
    errors: dict[str, list[str]] = {}
    if body.is_valid():
        try:
            services.referral_override_category(
                referral=referral,
                user=request.user,
                now=timezone.now(),
                **body.validated_data,
            )
        except DomainError as exc:
            errors = field_errors(exc, forms.NON_FIELD)
        else:
            label = Category(body.validated_data["category"]).label
            messages.success(request, f"Category changed to {label}.")
            return redirect("referral_detail", referral_id=referral.pk)
    else:
        errors = forms.page_errors(body.errors)
    return _detail(
        request,
        _scoped_referral(request, referral_id),
        Submitted(form="category", values=values, errors=errors),
    )


def _act_on_page(
    request: PageRequest,
    referral: Referral,
    *,
    form: str,
    names: tuple[str, ...],
    body: Serializer,
    perform: Perform,
) -> HttpResponse:
    """A form whose success changes much of the page (the clocks' start, the
    status and every form with it), so it is answered with the whole page,
    without htmx. Validated by the API's parser for the action, written by the
    same service. Success: a message and a redirect to the page
    (POST-redirect-GET). Refused: the page again with each message beside its
    input, answered with the refusal's status (400; 409 when the referral's
    state refuses it), and nothing stored (the services write in one
    transaction)."""
    values = forms.form_values(request.POST, names)
    status = 400
    if body.is_valid():
        try:
            done = perform(referral, dict(body.validated_data), timezone.now())
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            errors = forms.form_errors(field_errors(exc, forms.NON_FIELD), names)
            status = http_status(exc)
        else:
            messages.success(request, done)
            return redirect(referral_path(referral))
    else:
        errors = forms.form_errors(body.errors, names)
    submitted = Submitted(form=form, values=values, errors=errors)
    return _detail(request, _scoped_referral(request, referral.pk), submitted, status=status)


@page("referral_suspected_at")
@require_POST
def referral_suspected_at(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Confirm or correct when MSCC or spinal metastases were first suspected,
    with how it is known; the clocks that run from suspicion move with it."""
    referral = _scoped_referral(request, referral_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        referral = services.referral_suspected_at_correct(
            referral=referral, user=request.user, now=now, **data
        )
        return f"Suspicion time recorded: {when(referral.suspected_at)}. The clocks follow it."

    return _act_on_page(
        request,
        referral,
        form="suspected_at",
        names=forms.SUSPECTED_AT_FIELDS,
        body=SuspectedAtInput(data=forms.form_data(request.POST, forms.SUSPECTED_AT_FIELDS)),
        perform=perform,
    )


@page("referral_link")
@require_POST
def referral_link(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """The same episode referred twice: close this, the later referral, as a
    duplicate of the earlier one; its clocks are cancelled."""
    referral = _scoped_referral(request, referral_id)

    def perform(referral: Referral, data: dict[str, Any], now: datetime) -> str:
        later = services.referral_link_duplicate(
            referral=referral, user=request.user, now=now, **data
        )
        earlier = later.duplicate_of
        name = earlier.reference if earlier else "the earlier referral"
        return f"Closed as a duplicate of {name}; its clocks are cancelled."

    return _act_on_page(
        request,
        referral,
        form="link",
        names=forms.LINK_FIELDS,
        body=LinkInput(data=forms.form_data(request.POST, forms.LINK_FIELDS)),
        perform=perform,
    )


@page("escalation_acknowledge")
@require_POST
def referral_escalation_acknowledge(
    request: PageRequest, referral_id: UUID, escalation_id: UUID
) -> HttpResponse:
    """Acknowledge one of the referral's escalations and, with it, every
    escalation of the same clock not yet acknowledged (issue 11: one
    acknowledge per clock, never another clock's): their repeats stop.
    Someone else got there first: said beside it, with their name."""
    referral = _scoped_referral(request, referral_id)
    # Only this referral's escalations (the service checks the user's service).
    if not referral.clocks.filter(escalations__pk=escalation_id).exists():
        raise Http404("No such escalation on this referral.")
    row = str(escalation_id)
    try:
        acknowledged = clock_escalations_acknowledge(
            escalation_id=escalation_id, user=request.user, now=timezone.now()
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except Conflict as exc:
        refused = Submitted(
            form="escalation", values={}, errors={forms.NON_FIELD: [exc.message]}, row=row
        )
        if request.htmx:
            return _fragments(
                request,
                referral,
                ["escalations"],
                submitted=refused,
                # Said beside the escalation, as an error; no corner notice.
                name="escalation",
            )
        return _detail(request, referral, refused)
    label = label_of("ClockKind", acknowledged[0].clock.kind)
    count = len(acknowledged)
    done = (
        f"Escalation acknowledged ({label} clock): no more repeats will be sent. "
        f"It covers {count} escalation{pluralize(count)} of that clock, and no other clock."
    )
    if not request.htmx:
        messages.success(request, done)
        return redirect("referral_detail", referral_id=referral.pk)
    return _fragments(
        request,
        _scoped_referral(request, referral_id),
        list(LIVE_PANELS),
        submitted=Submitted(form="escalation", values={}, row=row, done=done),
        notice=done,
        name="escalation",
    )
