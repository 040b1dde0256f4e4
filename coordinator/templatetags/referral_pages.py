"""Template helpers for the referral pages: form inputs with their labels,
hints and errors; code labels; UK times; the stopped-worker banner; the
notifications badge and escalations in words."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.dateformat import format as date_format

import coordinator.forms  # noqa: F401  (registers the YesNo answer set)
from core.labels import label_of, labelled
from core.permissions import ACTION_ROLES
from notifications.codes import StepWhen
from notifications.selectors import heartbeat_age_seconds, heartbeat_is_stale
from notifications.selectors.escalations import inbox_unread_count

register = template.Library()

# Day, date, 24-hour time and GMT/BST: unambiguous at 3 a.m. on the night
# the clocks change.
WHEN_FORMAT = "D j M Y, H:i T"


@register.filter
def when(value: datetime | None) -> str:
    """A time in UK local time, or a dash when there is none."""
    if value is None:
        return "—"
    return date_format(timezone.localtime(value), WHEN_FORMAT)


# What a clock's urgency reads as beside its time left: words as well as
# the colour, never colour alone.
_URGENCY_WORDS = {"due_soon": "Due soon", "comfortable": "On track"}


@register.filter
def urgency_words(clock: dict[str, Any]) -> str:
    """A running clock's urgency and time left in words: "OVERDUE by 1 h
    05 min", "Due soon: 29 min left", "On track: 23 h 00 min left"; its time
    left alone (or nothing) when it has no urgency (stopped, measured)."""
    left = clock.get("time_left") or ""
    words = _URGENCY_WORDS.get(clock.get("urgency") or "")
    return f"{words}: {left}" if words and left else left


NOT_RECORDED = "Not recorded"


@register.filter
def patient_name(patient: Any) -> str:
    """ "FAMILY, Given" of a patient as shown (``referrals.selectors.PatientShown``
    or a held Patient), or "Name not recorded"."""
    family = (patient.family_name or "").upper()
    given = patient.given_name or ""
    if family and given:
        return f"{family}, {given}"
    return family or given or f"Name {NOT_RECORDED.lower()}"


@register.filter
def person(user: Any) -> str:
    """Who did something: their full name, else their username."""
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


@register.filter
def duration(value: timedelta | None) -> str:
    """How long something took (``3 h 05 min``)."""
    if value is None:
        return "—"
    return _span(max(int(value.total_seconds()), 0))


@register.filter
def target_hours(hours: float | None) -> str:
    """A clock's target in plain words (``30 min``, ``24 h``, ``7 d``)."""
    if hours is None:
        return "—"
    if hours < 1:
        return f"{round(hours * 60)} min"
    if hours <= 48 and hours == int(hours):
        return f"{int(hours)} h"
    if hours % 24 == 0:
        return f"{int(hours // 24)} days"
    return _span(round(hours * 3600))


@register.filter
def label(code: Any, enum: str) -> str:
    """The label beside a stored code (``{{ referral.sex|label:"Sex" }}``),
    named by its enum; a dash when there is no code."""
    if code is None or code == "":
        return "—"
    return label_of(enum, code)


@register.filter
def yes_no(value: bool | None) -> str:
    if value is None:
        return "Not known"
    return "Yes" if value else "No"


def _choices(choices: str | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    if isinstance(choices, str):
        return labelled(choices).choices()
    return list(choices)


def _field(
    context: template.Context, name: str, label: str, hint: str = "", **extra: Any
) -> dict[str, Any]:
    values = context.get("values") or {}
    errors = (context.get("errors") or {}).get(name, [])
    # Several forms on one page may share an input name: ``field_prefix``
    # (set with ``{% with %}``) keeps each input's id, and its label, unique.
    prefix = context.get("field_prefix") or ""
    return {
        "name": name,
        "id": f"f-{prefix}{name}",
        "label": label,
        "hint": hint,
        "value": values.get(name, ""),
        "errors": errors,
        **extra,
    }


@register.inclusion_tag("referrals/fields/input.html", takes_context=True)
def input_field(
    context: template.Context,
    name: str,
    label: str,
    hint: str = "",
    type: str = "text",
    required: bool = False,
    autocomplete: str = "off",
    inputmode: str = "",
    width: str = "",
) -> dict[str, Any]:
    return _field(
        context,
        name,
        label,
        hint,
        type=type,
        required=required,
        autocomplete=autocomplete,
        inputmode=inputmode,
        width=width,
    )


@register.inclusion_tag("referrals/fields/textarea.html", takes_context=True)
def textarea_field(
    context: template.Context, name: str, label: str, hint: str = "", rows: int = 3
) -> dict[str, Any]:
    return _field(context, name, label, hint, rows=rows)


@register.inclusion_tag("referrals/fields/select.html", takes_context=True)
def select_field(
    context: template.Context,
    name: str,
    label: str,
    choices: str | Iterable[tuple[str, str]],
    hint: str = "",
    blank: str = "",
    required: bool = False,
) -> dict[str, Any]:
    return _field(
        context, name, label, hint, choices=_choices(choices), blank=blank, required=required
    )


@register.inclusion_tag("referrals/fields/radios.html", takes_context=True)
def radio_field(
    context: template.Context,
    name: str,
    label: str,
    choices: str | Iterable[tuple[str, str]],
    hint: str = "",
    required: bool = False,
    inline: bool = False,
) -> dict[str, Any]:
    return _field(
        context, name, label, hint, choices=_choices(choices), required=required, inline=inline
    )


@register.inclusion_tag("referrals/fields/checkboxes.html", takes_context=True)
def checkboxes_field(
    context: template.Context,
    name: str,
    label: str,
    choices: str | Iterable[tuple[str, str]],
    hint: str = "",
) -> dict[str, Any]:
    field = _field(context, name, label, hint, choices=_choices(choices))
    field["value"] = [str(v) for v in field["value"] or []]
    return field


@register.inclusion_tag("referrals/fields/checkbox.html", takes_context=True)
def checkbox_field(
    context: template.Context, name: str, label: str, hint: str = ""
) -> dict[str, Any]:
    return _field(context, name, label, hint)


@register.inclusion_tag("referrals/heartbeat_banner.html", takes_context=True)
def heartbeat_banner(context: template.Context, oob: bool = False) -> dict[str, Any]:
    """The warning every coordinator page carries while the escalation sweep
    has not run for MSCC_SWEEP_STALE_SECONDS (2 minutes): escalations may not
    be reaching anyone, so the queue must be watched by hand (the dead-man's
    switch: docs/architecture.md, section 5). The sweep runs in a worker when beat
    sends it, so its heartbeat proves all three are alive."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = bool(user and user.is_authenticated and user.role in ACTION_ROLES["queue"])
    stale, minutes, future = False, None, False
    if shown:
        age = heartbeat_age_seconds(name="sweep", now=timezone.now())
        stale = heartbeat_is_stale(age, settings.MSCC_SWEEP_STALE_SECONDS)
        # A heartbeat dated in the future is stale too (it proves nothing).
        future = age is not None and age < 0
        minutes = None if age is None else int(age // 60)
    return {"shown": shown, "stale": stale, "minutes": minutes, "future": future, "oob": oob}


@register.inclusion_tag("notifications/_badge.html", takes_context=True)
def notifications_badge(context: template.Context) -> dict[str, Any]:
    """The nav's "Notifications (N)", N unread, for the roles with an inbox.
    It fetches itself again every 30 seconds (``notifications_badge`` view)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    shown = bool(
        user and user.is_authenticated and user.role in ACTION_ROLES["notifications_inbox"]
    )
    return {
        "shown": shown,
        "unread": inbox_unread_count(user=user) if shown else 0,
        "current": context.get("nav") == "notifications",
    }


@register.filter
def may(user: Any, action: str) -> bool:
    """Whether the user's role may do ``action`` (the API's permission table)."""
    return bool(user and user.is_authenticated and user.role in ACTION_ROLES[action])


# --- Escalations in words ------------------------------------------------------------


@register.filter
def escalation_step(escalation: Any) -> str:
    """An escalation's policy step: "step 3: At the due time → the on-call
    coordinator" (the step is loaded with the escalation by the selectors)."""
    step = escalation.step
    if step.when == StepWhen.WARNING and step.fraction is not None:
        when_ = f"Warning, with {step.fraction:.0%} of the target left"
    elif step.when == StepWhen.AFTER_DUE:
        when_ = f"{duration(step.delay)} after the due time"
    else:
        when_ = "At the due time"
    whom = label_of("Recipient", step.recipient)
    return f"step {step.position}: {when_} → {whom}"
