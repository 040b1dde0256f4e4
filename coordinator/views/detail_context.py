"""What the referral page shows: its panels (clocks, timeline, scores, status
moves, escalations) and the state of each of its forms.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateformat import format as date_format

from coordinator import forms, selectors
from coordinator.templatetags.referral_pages import (
    NOT_RECORDED,
    escalation_step,
    person,
    when,
)
from coordinator.views.common import PageRequest
from core.labels import label_of
from core.permissions import ACTION_ROLES
from notifications.codes import Channel, DeliveryStatus
from notifications.models import Delivery
from notifications.selectors.escalations import referral_escalations
from pathways import scoring
from pathways.codes import ClockStatus, EventKind, MdtDecisionKind, ScoreKind
from pathways.models import ClinicalEvent
from referrals import rules
from referrals.codes import TERMINAL_STATUSES, Category, ReferralStatus
from referrals.models import Referral, User
from referrals.selectors import (
    PatientShown,
    identity_held_visible_to,
    patient_as_sent,
    patient_shown_to,
    triage_input_for,
)
from referrals.transitions import REQUIRED_FIELDS, TRANSITIONS

# Walking ability after treatment (``ambulatory_assessed``), QS56's outcome.
AMBULATORY_CHOICES = (("true", "Yes: walks, with or without aids"), ("false", "No: cannot walk"))


def band_label(kind: str, band: str) -> str:
    """A score's band in words: the label beside the band's code."""
    bands = scoring.SinsBand if kind == ScoreKind.SINS else scoring.TokuhashiBand
    return label_of(bands.__name__, band)


FORM_TITLES = {
    "category": "Change category",
    "acknowledge": "Acknowledge",
    "event": "Record an event",
    "withdraw": "Withdraw an event",
    "status": "Change status",
    "mdt": "Record an MDT decision",
    "not_appropriate": "Mark a clock not appropriate",
    "sins": "Record a SINS score",
    "tokuhashi": "Record a revised Tokuhashi score",
    "escalation": "Acknowledge an escalation",
    "suspected_at": "Confirm or correct the suspicion time",
    "link": "Link as a duplicate",
}


@dataclass
class Submitted:
    """A form as posted: which one, what was entered, what was wrong with it
    and, for a form on one row (a clock's, an event's), which row. After a
    success it is the emptied form with ``done`` saying what was recorded."""

    form: str
    values: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)
    row: str = ""
    done: str = ""


def _form_state(name: str, submitted: Submitted | None, blank: dict[str, Any]) -> dict[str, Any]:
    if submitted is None or submitted.form != name or submitted.row:
        return {"values": blank, "errors": {}, "general": [], "done": ""}
    return {
        "values": submitted.values,
        "errors": submitted.errors,
        "general": submitted.errors.get(forms.NON_FIELD, []),
        "done": submitted.done,
    }


def _row_form(
    form: str, row: Any, submitted: Submitted | None, names: tuple[str, ...]
) -> dict[str, Any]:
    """The state of a form on one row (a clock's, an event's)."""
    mine = submitted if submitted and submitted.form == form and submitted.row == str(row) else None
    return {
        "prefix": f"{form}-{row}-",
        "values": mine.values if mine else forms.blank_values(names),
        "errors": mine.errors if mine else {},
        "general": mine.errors.get(forms.NON_FIELD, []) if mine else [],
        # A refused reason opens its form again, beside its error.
        "open": bool(mine and mine.errors),
    }


# The services write stop reasons with event codes in them ("mri_performed
# recorded"); the page says them in words.
_EVENT_CODES = re.compile(r"\b(" + "|".join(k.value for k in EventKind if "_" in k.value) + r")\b")


def _in_words(text: str) -> str:
    return _EVENT_CODES.sub(lambda m: EventKind(m.group(1)).label, text)


def _clock_rows(
    user: User, referral: Referral, now: datetime, submitted: Submitted | None, may_mark: bool
) -> list[dict[str, Any]]:
    rows = []
    fraction = selectors.due_soon_fraction_of(
        referral, selectors.due_soon_fractions_for([referral])
    )
    for clock in referral.clocks.all():
        view = selectors.clock_view(clock, now, fraction)
        stop_reason = selectors.stop_reason_shown_to(user, referral, clock.stop_reason)
        view.update(
            stop_reason=_in_words(stop_reason),
            not_appropriate_by=clock.not_appropriate_by if clock.not_appropriate else None,
            not_appropriate_at=clock.not_appropriate_at,
            taken=(clock.stopped_at - clock.started_at) if clock.stopped_at else None,
            # The service refuses a cancelled clock: it is already out of the standard.
            markable=may_mark
            and not clock.not_appropriate
            and clock.status != ClockStatus.CANCELLED,
            form=_row_form("not_appropriate", clock.pk, submitted, forms.NOT_APPROPRIATE_FIELDS),
        )
        rows.append(view)
    return rows


def _timeline(
    referral: Referral,
    events: list[ClinicalEvent],
    submitted: Submitted | None,
    may_withdraw: bool,
) -> list[dict[str, Any]]:
    """The referral's story in time order: suspicion, receipt, then each event.
    A withdrawal is shown on the event it withdraws (struck through, with the
    reason), not as an entry of its own."""
    corrections = {e.corrects_id: e for e in events if e.kind == EventKind.ENTERED_IN_ERROR}
    items: list[dict[str, Any]] = []
    if abs(referral.received_at - referral.suspected_at) >= timedelta(minutes=1):
        items.append(
            {"at": referral.suspected_at, "title": "MSCC or spinal metastases first suspected"}
        )
    items.append(
        {
            "at": referral.received_at,
            "title": f"Referral received from {referral.referring_organisation.name}",
            "recorded_by": referral.referred_by,
        }
    )
    for event in events:
        if event.kind == EventKind.ENTERED_IN_ERROR:
            continue
        correction = corrections.get(event.pk)
        items.append(
            {
                "at": event.occurred_at,
                "title": label_of("EventKind", event.kind),
                "event": event,
                "recorded_by": event.recorded_by,
                "recorded_at": event.recorded_at,
                "details": event.details,
                "withdrawn": correction,
                # The service refuses to withdraw an acknowledgement, and
                # anything once the referral is closed.
                "withdrawable": may_withdraw
                and correction is None
                and event.kind != EventKind.ACKNOWLEDGED,
                "form": _row_form("withdraw", event.pk, submitted, forms.WITHDRAW_FIELDS),
            }
        )
    items.sort(key=lambda item: item["at"])  # stable: events keep their recorded order
    return items


# --- Escalations: who was told what, when ----------------------------------------------


def _delivery_to(delivery: Delivery) -> str:
    if delivery.recipient is not None:
        return person(delivery.recipient)
    if delivery.channel == Channel.WEBHOOK:
        return "The service's pager or SMS gateway"
    # The sweep records a step with nobody to reach (a rota gap and no lead).
    role = delivery.recipient_key.removeprefix("nobody:")
    return f"Nobody: no one to reach as {label_of('Recipient', role)}"


def _delivery_row(delivery: Delivery) -> dict[str, Any]:
    return {
        "delivery": delivery,
        "channel": label_of("Channel", delivery.channel),
        "to": _delivery_to(delivery),
        "address": delivery.address if delivery.channel == Channel.EMAIL else "",
        "status": label_of("DeliveryStatus", delivery.status),
        "failed": delivery.status == DeliveryStatus.FAILED,
    }


def _escalation_rows(referral: Referral, submitted: Submitted | None) -> list[dict[str, Any]]:
    """Each escalation raised for the referral's clocks, with its step in
    words, whether (and by whom) it was acknowledged, and every delivery.
    Shown only to clinicians of the service, who may all acknowledge."""
    rows = []
    for escalation in referral_escalations(referral):
        mine = (
            submitted
            if submitted and submitted.form == "escalation" and submitted.row == str(escalation.pk)
            else None
        )
        step = escalation.step
        order = {channel: i for i, channel in enumerate(step.channels)}
        deliveries = sorted(
            escalation.deliveries.all(),
            key=lambda d: (d.round, d.created_at, order.get(d.channel, len(order))),
        )
        # A channel of the step with no message: the service has no pager or
        # SMS gateway set up, and the sweep left it out. Said, not hidden.
        unsent = [c for c in step.channels if c not in {d.channel for d in deliveries}]
        rows.append(
            {
                "escalation": escalation,
                "id": escalation.pk,
                "step": escalation_step(escalation),
                "channels": ", ".join(label_of("Channel", c) for c in step.channels),
                "unsent": [label_of("Channel", c) for c in unsent],
                "repeat_every": step.repeat_every,
                # A step superseded at catch-up was never sent: nothing to stop.
                "acknowledgeable": escalation.acknowledged_at is None
                and escalation.superseded_at is None,
                "superseded_by": escalation_step(escalation.superseded_by)
                if escalation.superseded_by is not None
                else "",
                # A clock may start from the suspicion, before the referral
                # arrived: its step was then due before anyone could act.
                "due_before_referral": escalation.fire_at < referral.received_at,
                "deliveries": [_delivery_row(d) for d in deliveries],
                "errors": mine.errors.get(forms.NON_FIELD, []) if mine else [],
                "done": mine.done if mine else "",
            }
        )
    return rows


def _scores(referral: Referral) -> list[dict[str, Any]]:
    rows = []
    for record in referral.scores.select_related("recorded_by").order_by("recorded_at", "id"):
        # Points per component are not stored: the published tables give them
        # again from the stored inputs (as the scores API does).
        points = scoring.calculate(record.kind, record.inputs).components
        rows.append(
            {
                "record": record,
                "band_label": band_label(record.kind, record.band),
                "inputs": [
                    (forms.score_input_label(record.kind, name, value), points.get(name))
                    for name, value in record.inputs.items()
                ],
            }
        )
    return rows


def _patient_values(p: PatientShown) -> dict[str, str | None]:
    """The patient panel's values in words (None: not recorded)."""
    name = " ".join(n for n in (p.given_name, p.family_name) if n)
    born = p.date_of_birth
    return {
        "Name": name or None,
        "NHS number": p.formatted_nhs_number,
        "Date of birth": date_format(born, "j M Y") if born else None,
        "Sex": label_of("Sex", p.sex) if p.sex else None,
        "Postcode": p.postcode,
    }


def _patient_rows(user: User, referral: Referral) -> list[dict[str, str]]:
    """The patient panel: what ``user`` may see (a referrer: the details as
    their referral sent them), and for the service's clinicians, beside what
    is held, each detail the referral sent that differs from it."""
    shown = _patient_values(patient_shown_to(user, referral))
    sent: dict[str, str | None] = {}
    if identity_held_visible_to(user):
        sent = _patient_values(patient_as_sent(referral))
    rows = []
    for label, value in shown.items():
        as_sent = sent.get(label)
        rows.append(
            {
                "label": label,
                "value": value or NOT_RECORDED,
                "sent": as_sent if as_sent is not None and as_sent != value else "",
            }
        )
    return rows


def _status_choices(referral: Referral) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The moves the state map allows from the current status, and for each
    optional-looking input, which of those moves need it."""
    allowed = TRANSITIONS[ReferralStatus(referral.status)]
    choices = [(s.value, s.label) for s in ReferralStatus if s in allowed]
    needs = {}
    for name in ("reason", "redirected_to", "occurred_at"):
        targets = [label for code, label in choices if name in REQUIRED_FIELDS.get(code, ())]
        if targets:
            needs[name] = "Needed for: " + "; ".join(targets) + "."
    return choices, needs


def _local_input(value: datetime) -> str:
    """A time as a datetime-local input's value: UK wall-clock time, to the minute."""
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def _suspected_at_hint(referral: Referral) -> str:
    """What the service accepts as the suspicion time, with the times it is held
    to; the time held now written out, since a browser shows the box's date in
    its own locale's order (mm/dd/yyyy in a US one)."""
    hint = (
        f"Held now: {when(referral.suspected_at)}. "
        f"No later than the referral was received ({when(referral.received_at)})"
    )
    if referral.neuro_onset_at:
        hint += (
            f", and not before the onset of neurological symptoms ({when(referral.neuro_onset_at)})"
        )
    return hint + ". The MRI clock runs from it, and moves with it."


def _duplicate_warning(
    user: User, referral: Referral, closed: bool, submitted: Submitted | None
) -> dict[str, Any] | None:
    """Other open referrals for the same person in the service, for its
    clinicians only (a referrer would learn that someone else referred the
    person to a cancer service). Only a later referral is closed as the
    duplicate of an earlier one (the service refuses the other way), so the
    form offers the earlier ones and the page of a later one is linked to.
    A refused link is shown here even if the duplicate has gone since."""
    if user.role not in ACTION_ROLES["patient_identity_held"]:
        return None
    failed = submitted is not None and submitted.form == "link" and bool(submitted.errors)
    if not failed and (closed or selectors.open_duplicate_reference(referral) is None):
        return None
    others = (
        []
        if closed
        else list(selectors.open_duplicates(referral.patient_id, referral.service_id, referral.pk))
    )
    earlier = [o for o in others if o.received_at <= referral.received_at]
    return {
        "named": others[0] if others else None,
        # By reference alone, which a select shows whole at 390 px; when each
        # was received is said in the hint.
        "link_choices": [(str(o.pk), o.reference) for o in earlier],
        "link_hint": "The earlier open referral for this person: it carries on, with its "
        "clocks. "
        + "; ".join(f"{o.reference} was received {when(o.received_at)}" for o in earlier)
        + ".",
        "later": [o for o in others if o.received_at > referral.received_at],
        "may_link": not closed and user.role in ACTION_ROLES["referral_link"],
    }


def _detail_context(
    request: PageRequest, referral: Referral, now: datetime, submitted: Submitted | None = None
) -> dict[str, Any]:
    user = request.user
    closed = referral.status in TERMINAL_STATUSES
    events = list(referral.events.all())
    status_choices, status_needs = _status_choices(referral)
    # A closure entered in error is reversed back to the state held before it.
    reopen_to = referral.status_before_close if closed else ""
    event_choices = [
        (k.value, k.label)
        for k in EventKind
        if k != EventKind.ENTERED_IN_ERROR
        and not (k == EventKind.ACKNOWLEDGED and referral.acknowledged_at)
    ]
    failed = submitted if submitted is not None and submitted.errors else None
    state = {
        "category": _form_state(
            "category", submitted, {"category": referral.category, "reason": ""}
        ),
        "acknowledge": _form_state("acknowledge", submitted, {}),
        "event": _form_state("event", submitted, forms.blank_values(forms.EVENT_FIELDS)),
        "status": _form_state("status", submitted, forms.blank_values(forms.STATUS_FIELDS)),
        "mdt": _form_state("mdt", submitted, forms.blank_values(forms.MDT_FIELDS)),
        "sins": _form_state(
            "sins", submitted, forms.blank_values(forms.SCORE_FIELDS[ScoreKind.SINS])
        ),
        "tokuhashi": _form_state(
            "tokuhashi", submitted, forms.blank_values(forms.SCORE_FIELDS[ScoreKind.TOKUHASHI])
        ),
    }
    duplicate_warning = _duplicate_warning(user, referral, closed, submitted)
    state["link"] = _form_state(
        "link",
        submitted,
        {
            # The earliest, the one the warning names.
            "duplicate_of": (
                duplicate_warning["link_choices"][0][0]
                if duplicate_warning and duplicate_warning["link_choices"]
                else ""
            ),
            "reason": "",
        },
    )
    state["suspected_at"] = _form_state(
        "suspected_at",
        submitted,
        {"suspected_at": _local_input(referral.suspected_at), "reason": ""},
    )
    clocks = _clock_rows(
        user, referral, now, submitted, user.role in ACTION_ROLES["clock_not_appropriate"]
    )
    # Escalations are the service's own business (which of its staff were
    # paged): shown to its clinicians, not to referrers.
    show_escalations = user.role in ACTION_ROLES["escalation_acknowledge"]
    return {
        "referral": referral,
        "patient": patient_shown_to(user, referral),
        "patient_rows": _patient_rows(user, referral),
        "now": now,
        "closed": closed,
        "stage": selectors.referral_stage(referral),
        "clocks": clocks,
        "any_markable": any(c["markable"] for c in clocks),
        "prompts": selectors.referral_prompts(referral),
        "timeline": _timeline(
            referral, events, submitted, not closed and user.role in ACTION_ROLES["referral_event"]
        ),
        "mdt_decisions": list(referral.mdt_decisions.all()),
        "scores": _scores(referral),
        "show_escalations": show_escalations,
        "escalations": _escalation_rows(referral, submitted) if show_escalations else [],
        "score_note": scoring.NOTE,
        "overridden": bool(referral.overridden_category),
        # MSCC confirmed or ruled out moved the category on from the
        # coordinator's or triage's (docs/clinical-rules.md, section 4).
        "changed_from": (
            ""
            if referral.category == (referral.overridden_category or referral.triage_category)
            else referral.overridden_category or referral.triage_category
        ),
        "category_choices": Category.choices(),
        "event_choices": event_choices,
        "ambulatory_choices": AMBULATORY_CHOICES,
        "status_choices": status_choices,
        "status_needs": status_needs,
        "reopen_to": reopen_to,
        "status_reason": selectors.status_reason_shown_to(user, referral),
        "duplicate_warning": duplicate_warning,
        # The service refuses a new suspicion time once the referral is closed;
        # a refusal (closed since the page was opened) is said in the form.
        "may_correct_suspected_at": user.role in ACTION_ROLES["referral_suspected_at"]
        and (not closed or (failed is not None and failed.form == "suspected_at")),
        "suspected_at_hint": _suspected_at_hint(referral),
        "outside_ng234_population": rules.outside_ng234_population(triage_input_for(referral)),
        "mdt_choices": MdtDecisionKind.choices(),
        "sins_choices": forms.sins_choices(),
        "tokuhashi_choices": forms.tokuhashi_choices(),
        "form_state": state,
        # The refused form, for the summary at the top of a page reloaded without htmx.
        "failed_form": failed.form if failed else "",
        "failed_title": FORM_TITLES.get(failed.form, "") if failed else "",
        "failed_anchor": _failed_anchor(failed) if failed else "",
        # The category form's state under the names the field tags read.
        "values": state["category"]["values"],
        "errors": failed.errors if failed else {},
        "general_errors": state["category"]["general"],
    }


def _failed_anchor(submitted: Submitted) -> str:
    """Where on the page the refused form is."""
    if submitted.form == "not_appropriate":
        return f"clock-{submitted.row}"
    if submitted.form == "withdraw":
        return f"event-{submitted.row}"
    if submitted.form == "acknowledge":
        return "summary"
    if submitted.form == "escalation":
        return f"escalation-{submitted.row}"
    if submitted.form == "suspected_at":
        return "form-suspected-at"
    if submitted.form == "link":
        return "duplicate-warning"
    return f"form-{submitted.form}"
