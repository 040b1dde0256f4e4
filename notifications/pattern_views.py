"""The weekly rota pattern page: a service admin fills in a week (for each
weekday, up to ``ROWS_PER_DAY`` shifts), chooses a range of dates, sees what
applying it would do (the shifts it adds, the gaps the range still has, the
shifts already there) and then applies it in one go.

A thin shell, like the other rota pages (notifications/views.py, whose
sign-in and role check it shares): the rules are in notifications/rota_rules.py
and the writes in notifications/services/rota.py. Apply happens only after a
preview of exactly the values posted: a changed pattern is previewed again
first, so nobody saves gaps they have not been shown.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import DomainError, http_status
from notifications import rota_rules, selectors
from notifications.codes import OnCallRole
from notifications.services.rota import PatternPlan, rota_pattern_apply, rota_pattern_preview
from notifications.views import RotaRequest, _monday, _service, _week_url, rota_page
from referrals.models import Service, User

# Rows offered for each weekday: enough for a day, a night and a 24-hour
# senior cover; a day with more is entered on the week page.
ROWS_PER_DAY = 3
# The range offered when the page opens: the next two whole weeks.
DEFAULT_WEEKS = 2
ROW_FIELDS = ("role", "user", "start", "end")
_MONTHS = {
    name: n
    for n, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
DATE_HELP = "Enter a date like 7 Dec 2026, 07/12/2026 or 2026-12-07."
TIME_HELP = "Enter a 24-hour time like 08:00 or 20:00."


class FormProblem(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def parse_date(text: str) -> date | None:
    """A UK date as typed: ISO (2026-12-07), day first (07/12/2026) or
    written out (7 Dec 2026). Never month first: 07/12 is 7 December."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", text)
    if found:
        day, month, year = (int(g) for g in found.groups())
    else:
        found = re.fullmatch(r"(?:[A-Za-z]{3,9},?\s+)?(\d{1,2})\s+([A-Za-z]{3,9})\s+(\d{4})", text)
        if not found or found.group(2).lower() not in _MONTHS:
            return None
        day, month, year = int(found.group(1)), _MONTHS[found.group(2).lower()], int(found[3])
    try:
        return date(year, month, day)
    except ValueError:
        return None


def parse_time(text: str) -> time | None:
    """A 24-hour time: 08:00, 8:00, 0800; 24:00 is midnight (the end of a day)."""
    found = re.fullmatch(r"(\d{1,2}):?(\d{2})", text.strip())
    if not found:
        return None
    hours, minutes = int(found.group(1)), int(found.group(2))
    if (hours, minutes) == (24, 0):
        return time(0)
    if hours > 23 or minutes > 59:
        return None
    return time(hours, minutes)


@dataclass
class RowField:
    """One pattern row's inputs as the template shows them."""

    prefix: str
    number: int
    label: str  # "Monday, shift 1": read before each input's own label
    values: dict[str, str]
    errors: dict[str, list[str]]


@dataclass
class DayFields:
    weekday: int
    name: str
    rows: list[RowField] = field(default_factory=list)


@dataclass
class Parsed:
    rows: list[rota_rules.PatternRow]
    prefixes: list[str]  # the form prefix of each row, for the service's errors
    first: date
    last: date
    skip_clashes: bool


def _prefix(weekday: int, number: int) -> str:
    return f"d{weekday}-{number}"


def _fields(post: Any) -> dict[str, str]:
    names = ["first", "last"] + [
        f"{_prefix(w, n)}-{name}"
        for w in range(7)
        for n in range(ROWS_PER_DAY)
        for name in ROW_FIELDS
    ]
    return {name: str(post.get(name, "")).strip() for name in names}


def fingerprint(values: dict[str, str], skip_clashes: bool) -> str:
    """Which pattern was previewed: apply goes ahead only with these values."""
    text = "\n".join(f"{k}={v}" for k, v in sorted(values.items())) + f"\nskip={skip_clashes}"
    return hashlib.sha256(text.encode()).hexdigest()


def _parse(service: Service, values: dict[str, str], skip_clashes: bool) -> Parsed:
    """The posted form as service arguments; every problem found at once."""
    errors: dict[str, list[str]] = {}
    days: dict[str, date] = {}
    for name in ("first", "last"):
        parsed = parse_date(values[name]) if values[name] else None
        if parsed is None:
            errors[name] = [DATE_HELP if values[name] else "Enter a date."]
        else:
            days[name] = parsed
    users = {
        u.username: u
        for u in User.objects.filter(
            service=service,
            username__in=[values[k] for k in values if k.endswith("-user") and values[k]],
        )
    }
    rows: list[rota_rules.PatternRow] = []
    prefixes: list[str] = []
    for weekday in range(7):
        for number in range(ROWS_PER_DAY):
            prefix = _prefix(weekday, number)
            row = {name: values[f"{prefix}-{name}"] for name in ROW_FIELDS}
            if not any(row.values()):
                continue
            if row["role"] not in {r.value for r in OnCallRole}:
                errors[f"{prefix}-role"] = ["Choose the rota role."]
            user = users.get(row["user"])
            if user is None:
                errors[f"{prefix}-user"] = ["Choose who is on call, from your service."]
            times: dict[str, time] = {}
            for name in ("start", "end"):
                parsed_time = parse_time(row[name]) if row[name] else None
                if parsed_time is None:
                    errors[f"{prefix}-{name}"] = [TIME_HELP if row[name] else "Enter a time."]
                else:
                    times[name] = parsed_time
            if user is not None and len(times) == 2 and f"{prefix}-role" not in errors:
                rows.append(
                    rota_rules.PatternRow(
                        weekday=weekday,
                        role=row["role"],
                        who=user,
                        start=times["start"],
                        end=times["end"],
                    )
                )
                prefixes.append(prefix)
    if not rows and not any(k.startswith("d") for k in errors):
        errors["rows"] = ["Fill in at least one shift of the week."]
    if errors:
        raise FormProblem(errors)
    return Parsed(rows, prefixes, days["first"], days["last"], skip_clashes)


def _service_errors(exc: DomainError, prefixes: list[str]) -> dict[str, list[str]]:
    """The service's ``rows.<i>.<field>`` as the form's ``d<w>-<n>-<field>``."""
    errors: dict[str, list[str]] = {}
    for name, problems in exc.errors.items():
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "rows" and parts[1].isdigit():
            name = f"{prefixes[int(parts[1])]}-{parts[2]}"
        errors.setdefault(name, []).extend(problems)
    if not errors:
        errors["__all__"] = [exc.message]
    return errors


def _day_fields(values: dict[str, str], errors: dict[str, list[str]]) -> list[DayFields]:
    days = []
    for weekday, name in enumerate(rota_rules.WEEKDAYS):
        day = DayFields(weekday=weekday, name=name)
        for number in range(ROWS_PER_DAY):
            prefix = _prefix(weekday, number)
            day.rows.append(
                RowField(
                    prefix=prefix,
                    number=number + 1,
                    label=f"{name}, shift {number + 1}:",
                    values={n: values.get(f"{prefix}-{n}", "") for n in ROW_FIELDS},
                    errors={n: errors.get(f"{prefix}-{n}", []) for n in ROW_FIELDS},
                )
            )
        days.append(day)
    return days


@dataclass
class PreviewLine:
    starts_at: datetime
    ends_at: datetime
    role: str
    person: str
    length: timedelta


def _person(user: Any) -> str:
    return str(user.get_full_name() or user.username)


def _planned_lines(planned: list[rota_rules.PlannedShift]) -> list[PreviewLine]:
    return [
        PreviewLine(
            starts_at=p.starts_at,
            ends_at=p.ends_at,
            role=OnCallRole(p.role).label,
            person=_person(p.who),
            length=p.ends_at - p.starts_at,
        )
        for p in planned
    ]


def _preview_context(plan: PatternPlan) -> dict[str, Any]:
    gaps = [
        (
            role.label,
            [
                {"starts_at": s, "ends_at": e, "length": e - s, "week": _monday(_local_day(s))}
                for s, e in plan.gaps[role]
            ],
        )
        for role in OnCallRole
    ]
    return {
        "plan": plan,
        "create": _planned_lines(plan.create),
        "started": _planned_lines(plan.started),
        "skipped": _planned_lines(plan.skipped),
        "clashes": [
            {"planned": line, "existing": shift}
            for line, (_, shift) in zip(
                _planned_lines([p for p, _ in plan.clashes]), plan.clashes, strict=True
            )
        ],
        "existing": [
            PreviewLine(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                role=OnCallRole(s.role).label,
                person=_person(s.user),
                length=s.ends_at - s.starts_at,
            )
            for s in plan.existing
        ],
        "gaps": gaps,
        "any_gap": any(lines for _, lines in gaps),
        "window_end": plan.window[1],
    }


def _local_day(value: datetime) -> date:
    return timezone.localtime(value).date()


_FIELD_WORDS = {"role": "role", "user": "who", "start": "from", "end": "to"}


def _where(name: str) -> str:
    """Which input a problem is about, for the summary: "Monday, shift 1, from: "."""
    found = re.fullmatch(r"d(\d)-(\d+)-(\w+)", name)
    if found is None:
        return {"first": "First day: ", "last": "Last day: "}.get(name, "")
    weekday, number, field_name = int(found[1]), int(found[2]) + 1, found[3]
    return f"{rota_rules.WEEKDAYS[weekday]}, shift {number}, {_FIELD_WORDS[field_name]}: "


def _default_values(today: date) -> dict[str, str]:
    first = _monday(today) + timedelta(days=7)
    last = first + timedelta(days=7 * DEFAULT_WEEKS - 1)
    return {"first": _written(first), "last": _written(last)}


def _written(day: date) -> str:
    """A date as the pages write it, and as the form reads it back: 7 Dec 2026."""
    return f"{day.day} {day:%b %Y}"


def _render(
    request: RotaRequest,
    *,
    values: dict[str, str],
    skip_clashes: bool,
    errors: dict[str, list[str]] | None = None,
    plan: PatternPlan | None = None,
    status: int = 200,
) -> HttpResponse:
    service = _service(request)
    errors = errors or {}
    context: dict[str, Any] = {
        "service": service,
        "values": values,
        "skip_clashes": skip_clashes,
        "errors": errors,
        "error_links": [
            (name if name not in ("rows", "__all__") else "pattern-days", _where(name) + message)
            for name, problems in errors.items()
            for message in problems
        ],
        "days": _day_fields(values, errors),
        "roles": OnCallRole.choices(),
        "candidates": [
            (role.label, users)
            for role, users in selectors.rota_candidates(service=service).items()
        ],
        "rows_per_day": ROWS_PER_DAY,
        "max_weeks": rota_rules.PATTERN_MAX_DAYS // 7,
        "nav": "rota",
    }
    if plan is not None:
        context.update(_preview_context(plan))
        context["previewed"] = fingerprint(values, skip_clashes)
    return render(request, "notifications/rota_pattern.html", context, status=status)


@rota_page("rota_manage")
@require_http_methods(["GET", "POST"])
def rota_pattern(request: RotaRequest) -> HttpResponse:
    """GET: the empty pattern. POST ``action=preview``: what it would do.
    POST ``action=apply``: apply it, if exactly these values were previewed."""
    service = _service(request)
    now = timezone.now()
    if request.method == "GET":
        return _render(request, values=_default_values(timezone.localdate(now)), skip_clashes=False)
    values = _fields(request.POST)
    skip_clashes = request.POST.get("skip_clashes") == "on"
    try:
        parsed = _parse(service, values, skip_clashes)
    except FormProblem as exc:
        return _render(
            request, values=values, skip_clashes=skip_clashes, errors=exc.errors, status=400
        )
    arguments: dict[str, Any] = {
        "service": service,
        "rows": parsed.rows,
        "first": parsed.first,
        "last": parsed.last,
        "now": now,
        "skip_clashes": skip_clashes,
        "by": request.user,
    }
    wants_apply = request.POST.get("action") == "apply"
    previewed = request.POST.get("previewed") == fingerprint(values, skip_clashes)
    try:
        if not (wants_apply and previewed):
            plan = rota_pattern_preview(**arguments)
            if wants_apply:
                messages.warning(
                    request,
                    "The pattern changed after its preview, so nothing was saved. "
                    "Check this preview, then apply.",
                )
            return _render(request, values=values, skip_clashes=skip_clashes, plan=plan)
        plan = rota_pattern_apply(**arguments)
    except DomainError as exc:
        return _render(
            request,
            values=values,
            skip_clashes=skip_clashes,
            errors=_service_errors(exc, parsed.prefixes),
            status=http_status(exc),
        )
    gap_count = sum(len(g) for g in plan.gaps.values())
    first = timezone.localdate(plan.window[0])
    messages.success(
        request,
        f"Pattern applied: {len(plan.create)} shifts added from {first:%a} {first.day} "
        f"{first:%b %Y} to {plan.last:%a} {plan.last.day} {plan.last:%b %Y}. "
        + (
            f"{gap_count} period{'s' if gap_count != 1 else ''} with nobody on call remain "
            "in that range: see the coverage gaps."
            if gap_count
            else "Someone is on call for every role at every minute of that range."
        ),
    )
    return redirect(_week_url(_monday(max(parsed.first, timezone.localdate(now)))))
