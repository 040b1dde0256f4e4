"""Rota pages (the week grid, its forms for service admins, the gaps list);
the in-app notifications page and the nav's live badge are in ``inbox_views``.

A thin shell over the notifications services and selectors, as the API is.
Pages and API share the permission table (``ACTION_ROLES``): clinicians and
service admins view the rota, only service admins edit it; the same roles
have an inbox, and clinicians may acknowledge an escalation. Everything is
scoped to the signed-in user's own service (another service's shift or
escalation is a 404). Times are UK time.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from core.errors import DomainError, field_errors, http_status
from core.permissions import ACTION_ROLES
from notifications import rota_rules, selectors, services
from notifications.codes import OnCallRole
from notifications.models import RotaOverride, Shift
from notifications.page_access import role_page
from notifications.selectors.rota import GAP_DAYS
from referrals.models import Service, User

View = Callable[..., HttpResponse]

FORM_FIELDS = ("role", "user", "starts_at", "ends_at", "reason")
# ``?week=`` outside these years is a typo, not a rota.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class RotaRequest(HttpRequest):
    user: User  # type: ignore[assignment]  # narrower than HttpRequest's: pages need sign-in


# The pages' sign-in and role check, shared with the notifications page.
rota_page = role_page


def _service(request: RotaRequest) -> Service:
    service = request.user.service
    if service is None:
        raise Http404("You are not a member of an MSCC service.")
    return service


def _may_manage(user: User) -> bool:
    return user.role in ACTION_ROLES["rota_manage"]


# --- Weeks and times -----------------------------------------------------------------


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _parse_week(text: str | None) -> date | None:
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        return None
    return _monday(day)


def _midnight(day: date) -> datetime:
    """The start of ``day`` in UK time (midnight always exists in the UK)."""
    return datetime.combine(day, time(0), tzinfo=timezone.get_current_timezone())


def _clock(value: datetime, *, day_end: datetime, with_zone: bool) -> str:
    if value == day_end:
        return "24:00"
    local = timezone.localtime(value)
    return f"{local:%H:%M %Z}" if with_zone else f"{local:%H:%M}"


# --- The week grid -----------------------------------------------------------------


@dataclass
class Part:
    """One line of a grid cell: who is on call from ``start`` to ``end``."""

    start: str
    end: str
    person: str = ""
    override: bool = False
    reason: str = ""
    # Nobody on call from now on: a gap to fill.
    gap: bool = False
    # Nobody was on call, before now: a record, not something to act on.
    no_record: bool = False


@dataclass
class Day:
    date: date
    clocks_change: bool
    today: bool


@dataclass
class RoleRow:
    role: OnCallRole
    label: str
    cells: list[list[Part]] = field(default_factory=list)
    # The cells with their day, for the phone layout's day labels.
    day_cells: list[tuple[Day, list[Part]]] = field(default_factory=list)


def _person(user: User) -> str:
    return user.get_full_name() or user.username


def _part(
    segment: rota_rules.Segment, *, day_end: datetime, with_zone: bool, now: datetime
) -> Part:
    start = _clock(segment.starts_at, day_end=day_end, with_zone=with_zone)
    end = _clock(segment.ends_at, day_end=day_end, with_zone=with_zone)
    if segment.cover is None:
        # Gaps are cut at now (rota_rules.cut_gaps_at): each piece is past or future.
        past = segment.ends_at <= now
        return Part(start=start, end=end, gap=not past, no_record=past)
    row = cast(Shift | RotaOverride, segment.cover.ref)  # covers_of sets the source row
    return Part(
        start=start,
        end=end,
        person=_person(row.user),
        override=segment.cover.override,
        reason=row.reason if isinstance(row, RotaOverride) else "",
    )


def _week_context(service: Service, monday: date, now: datetime) -> dict[str, Any]:
    dates = [monday + timedelta(days=i) for i in range(8)]
    midnights = [_midnight(d) for d in dates]
    period = selectors.rota_period(service=service, starts=midnights[0], ends=midnights[-1])
    today = timezone.localdate(now)
    days = [
        Day(
            date=d,
            clocks_change=midnights[i].utcoffset() != midnights[i + 1].utcoffset(),
            today=d == today,
        )
        for i, d in enumerate(dates[:7])
    ]
    rows = []
    for role in OnCallRole:
        row = RoleRow(role=role, label=role.label)
        by_day = rota_rules.split_at(rota_rules.cut_gaps_at(period.segments[role], now), midnights)
        for i, segments in enumerate(by_day):
            row.cells.append(
                [
                    _part(s, day_end=midnights[i + 1], with_zone=days[i].clocks_change, now=now)
                    for s in segments
                ]
            )
        row.day_cells = list(zip(days, row.cells, strict=True))
        rows.append(row)
    for entry in (*period.shifts, *period.overrides):
        entry.role_label = OnCallRole(entry.role).label  # type: ignore[union-attr]
    return {
        "days": days,
        "rows": rows,
        "shifts": period.shifts,
        "overrides": period.overrides,
        "week": monday,
        "previous_week": monday - timedelta(days=7),
        "next_week": monday + timedelta(days=7),
        "this_week": _monday(today),
        "now": now,
        # Only time from now on: the past with nobody recorded is not a gap to fill.
        "gap_in_week": any(p.gap for row in rows for cell in row.cells for p in cell),
        "no_record_in_week": any(p.no_record for row in rows for cell in row.cells for p in cell),
    }


def _render_week(
    request: RotaRequest,
    monday: date,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    service = _service(request)
    now = timezone.now()
    context = _week_context(service, monday, now)
    manage = _may_manage(request.user)
    context.update(
        {
            "service": service,
            "manage": manage,
            "roles": OnCallRole.choices(),
            "candidates": (
                [
                    (role.label, users)
                    for role, users in selectors.rota_candidates(service=service).items()
                ]
                if manage
                else []
            ),
            "form": form,
            "errors": errors or {},
            # Each form gets back only its own values and problems.
            "shift_values": (values or {}) if form == "shift" else {},
            "shift_errors": (errors or {}) if form == "shift" else {},
            "override_values": (values or {}) if form == "override" else {},
            "override_errors": (errors or {}) if form == "override" else {},
            "nav": "rota",
            "pattern_url": reverse("rota_pattern") if manage else "",
        }
    )
    return render(request, "notifications/rota_week.html", context, status=status)


def _week_url(monday: date) -> str:
    return f"{reverse('rota_week')}?{urlencode({'week': monday.isoformat()})}"


@rota_page("rota_view")
@require_GET
def rota_week(request: RotaRequest) -> HttpResponse:
    """The week grid: who is on call when, for each role, Monday to Sunday."""
    asked = request.GET.get("week")
    monday = _parse_week(asked)
    if monday is None:
        if asked:
            messages.warning(request, f"{asked!r} is not a date (YYYY-MM-DD): showing this week.")
        monday = _monday(timezone.localdate())
    return _render_week(request, monday)


# --- Forms -------------------------------------------------------------------------


class FormProblem(Exception):
    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(errors)
        self.errors = errors


def _posted_time(request: RotaRequest, name: str) -> datetime:
    """A datetime-local value, read as UK wall-clock time."""
    text = request.POST.get(name, "").strip()
    if not text:
        raise FormProblem({name: ["Enter a date and time."]})
    try:
        naive = datetime.fromisoformat(text)
    except ValueError:
        raise FormProblem({name: ["Enter a date and time, e.g. 2026-10-25 08:00."]}) from None
    if naive.tzinfo is not None or not FIRST_YEAR <= naive.year <= LAST_YEAR:
        raise FormProblem({name: ["Enter a date and time, e.g. 2026-10-25 08:00."]})
    try:
        return rota_rules.local_to_aware(naive, timezone.get_current_timezone())
    except rota_rules.LocalTimeProblem as exc:
        raise FormProblem({name: [str(exc)]}) from None


def _posted(request: RotaRequest, service: Service, form: str) -> dict[str, Any]:
    """The posted rota form as service arguments; every problem found at once
    (the services check again, and check what needs the database)."""
    errors: dict[str, list[str]] = {}
    if form == "override" and not request.POST.get("reason", "").strip():
        errors["reason"] = ["Give the reason for the override (swap, sickness, leave)."]
    data: dict[str, Any] = {"role": request.POST.get("role", "")}
    if data["role"] not in {r.value for r in OnCallRole}:
        errors["role"] = ["Choose the rota role."]
    username = request.POST.get("user", "")
    user = User.objects.filter(service=service, username=username).first() if username else None
    if user is None:
        errors["user"] = ["Choose who is on call, from your service."]
    data["user"] = user
    for name in ("starts_at", "ends_at"):
        try:
            data[name] = _posted_time(request, name)
        except FormProblem as exc:
            errors.update(exc.errors)
    if errors:
        raise FormProblem(errors)
    return data


def _form_write(request: RotaRequest, form: str, write: Callable[..., Any]) -> HttpResponse:
    """Validate the posted form, write through ``write``, then redirect to
    the week of the new entry (POST-redirect-GET); on a problem, show the
    week again with the form's values and the problems by field."""
    service = _service(request)
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    back = _parse_week(request.POST.get("week")) or _monday(timezone.localdate())
    try:
        data = _posted(request, service, form)
        row = write(service=service, by=request.user, **data)
    except FormProblem as exc:
        return _render_week(request, back, form=form, values=values, errors=exc.errors, status=400)
    except DomainError as exc:
        return _render_week(
            request,
            back,
            form=form,
            values=values,
            errors=field_errors(exc),
            status=http_status(exc),
        )
    start = timezone.localtime(row.starts_at)
    what = "Override" if form == "override" else "Shift"
    messages.success(
        request,
        f"{what} added: {_person(row.user)}, {OnCallRole(row.role).label}, "
        f"from {start:%a} {start.day} {start:%b %H:%M}.",
    )
    return redirect(_week_url(_monday(start.date())))


@rota_page("rota_manage")
@require_POST
def rota_shift_create(request: RotaRequest) -> HttpResponse:
    return _form_write(request, "shift", services.shift_create)


@rota_page("rota_manage")
@require_POST
def rota_override_create(request: RotaRequest) -> HttpResponse:
    def write(**kwargs: Any) -> RotaOverride:
        return services.override_create(reason=request.POST.get("reason", ""), **kwargs)

    return _form_write(request, "override", write)


@rota_page("rota_manage")
@require_POST
def rota_shift_delete(request: RotaRequest, shift_id: int) -> HttpResponse:
    service = _service(request)
    shift = selectors.shift_for(service=service, shift_id=shift_id)
    if shift is None:
        raise Http404("No such shift in your service.")
    monday = _monday(timezone.localtime(shift.starts_at).date())
    try:
        services.shift_delete(shift=shift, now=timezone.now(), by=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Shift deleted: {_person(shift.user)}.")
    return redirect(_week_url(monday))


# --- Gaps --------------------------------------------------------------------------


@dataclass
class GapLine:
    starts_at: datetime
    ends_at: datetime
    length: timedelta
    week: date


@rota_page("coverage_gaps")
@require_GET
def rota_gaps(request: RotaRequest) -> HttpResponse:
    """The next 14 days' periods with nobody on call, per role."""
    service = _service(request)
    now = timezone.now()
    gaps = selectors.coverage_gaps(service=service, now=now)
    roles = [
        (
            role.label,
            [
                GapLine(
                    starts_at=start,
                    ends_at=end,
                    length=end - start,
                    week=_monday(timezone.localtime(start).date()),
                )
                for start, end in gaps[role]
            ],
        )
        for role in OnCallRole
    ]
    return render(
        request,
        "notifications/rota_gaps.html",
        {
            "service": service,
            "roles": roles,
            "any_gap": any(lines for _, lines in roles),
            "now": now,
            "until": now + timedelta(days=GAP_DAYS),
            "days": GAP_DAYS,
            "nav": "rota",
        },
    )
