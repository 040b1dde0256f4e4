"""Server-rendered pages: a thin shell over services and selectors, as the API is.

Pages and API share one permission table (``ACTION_ROLES``), the same scoped
selectors (another organisation's or service's referral is a 404) and, for a
new referral, the same validation (``ReferralCreateInput``), so they accept
and refuse exactly the same things. Every page that shows patient data records
who saw which referrals (``services.access_record``).
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails
from rest_framework.serializers import Serializer

from mscc.errors import DomainError, NotFound
from pathways import scoring
from pathways.api.scores import ScoreRecordInput
from pathways.codes import ClockStatus, EventKind, ScoreKind
from pathways.models import ClinicalEvent
from pathways.services import clock_mark_not_appropriate, mdt_decision_record, score_record
from referrals import forms, idempotency, selectors, services
from referrals.api.permissions import ACTION_ROLES
from referrals.api.serializers import CategoryOverrideInput, ReferralCreateInput
from referrals.api.workflow import EventInput, MdtInput, NotAppropriateInput, StatusInput
from referrals.codes import TERMINAL_STATUSES, Category, ReferralStatus
from referrals.models import Referral, User
from referrals.templatetags.referral_pages import when
from referrals.transitions import REQUIRED_FIELDS, TRANSITIONS

# The queue page shows this many rows, then says how many more there are.
QUEUE_LIMIT = 200
# The printed fallback list is for an outage: it shows far more, never silently fewer.
PRINT_LIMIT = 1000
# Rows per page of "My referrals".
LIST_PAGE_SIZE = 50

View = Callable[..., HttpResponse]


class PageRequest(HttpRequest):
    """A request as the pages see it: signed in, with django-htmx's details."""

    htmx: HtmxDetails
    user: User  # type: ignore[assignment]  # narrower than HttpRequest's: pages need sign-in


def page(action: str | None = None) -> Callable[[View], View]:
    """Sign-in and role check for a page, from the API's permission table.

    A wrong role is a 403. A signed-out htmx request (the queue refreshing
    after the session ended) is sent to the sign-in page as a whole page,
    not swapped into the table.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: PageRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                if request.htmx:
                    back = request.htmx.current_url_abs_path or "/"
                    return HttpResponseClientRedirect(redirect_to_login(back)["Location"])
                return redirect_to_login(request.get_full_path())
            if action is not None and user.role not in ACTION_ROLES[action]:
                raise PermissionDenied("Your role may not use this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _record_access(request: PageRequest, name: str, referrals: list[Referral]) -> None:
    services.access_record(
        user=request.user,
        view=f"page.{name}",
        path=request.get_full_path(),
        referral_ids=[r.pk for r in referrals],
    )


def _safe_next(request: PageRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


# --- Home ------------------------------------------------------------------------


@page()
@require_GET
def home(request: PageRequest) -> HttpResponse:
    """Each role's first page: the queue, their referrals, or a holding page."""
    role = request.user.role
    if role in ACTION_ROLES["queue"]:
        return redirect("queue")
    if role in ACTION_ROLES["referral_list"]:
        return redirect("referral_mine")
    return render(request, "referrals/home_later.html")


# --- New referral -------------------------------------------------------------------


@page("referral_create")
@require_http_methods(["GET", "POST"])
def referral_new(request: PageRequest) -> HttpResponse:
    """The referral form (POST-redirect-GET to the referral's page on success)."""
    user = request.user
    organisations = forms.organisations_for(user)
    service_choices = forms.services_for(user)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        values = forms.posted_values(request.POST)
        now = timezone.now()
        serializer = ReferralCreateInput(
            data=forms.referral_data(request.POST), context={"now": now}
        )
        if serializer.is_valid():
            try:
                referral_id, replayed = _create_once(request, serializer.validated_data, now)
            except DomainError as exc:
                errors = {exc.field or forms.NON_FIELD: [exc.message]}
            else:
                referral = get_object_or_404(selectors.referrals_visible_to(user), pk=referral_id)
                if replayed:
                    messages.info(
                        request,
                        f"This form was already submitted: it is referral {referral.reference}.",
                    )
                else:
                    messages.success(
                        request,
                        f"Referral {referral.reference} received: {referral.category_label}.",
                    )
                return redirect("referral_detail", referral_id=referral.pk)
        else:
            errors = forms.page_errors(serializer.errors)
    else:
        values = forms.initial_values(user, organisations, service_choices)
    return render(
        request,
        "referrals/referral_form.html",
        {
            "nav": "new",
            "values": values,
            "errors": errors,
            "error_summary": forms.error_summary(errors),
            "organisation_choices": [(o.code, f"{o.name} ({o.code})") for o in organisations],
            "organisation_fixed": user.role not in ACTION_ROLES["queue"],
            "service_choices": [(s.code, f"{s.name} ({s.code})") for s in service_choices],
        },
    )


def _create_once(request: PageRequest, data: dict[str, Any], now: datetime) -> tuple[Any, bool]:
    """Create the referral once per rendering of the form: the form carries a
    random submission key, so a double-clicked or resent submit finds the
    referral it already made instead of making a second one."""

    def create() -> tuple[int, dict[str, str]]:
        referral = services.referral_create_from_input(user=request.user, now=now, data=data)
        return 201, {"id": str(referral.pk)}

    key = request.POST.get(forms.SUBMISSION_KEY, "")
    if not forms.is_submission_key(key):
        return create()[1]["id"], False
    outcome = idempotency.run_once(
        user=request.user,
        key=f"page:{key}",
        data=forms.referral_data(request.POST),
        action=create,
        field=forms.NON_FIELD,
    )
    return outcome.body["id"], outcome.replayed


# --- My referrals ---------------------------------------------------------------------


@page("referral_list")
@require_GET
def referral_mine(request: PageRequest) -> HttpResponse:
    """A referrer's organisation's referrals (a coordinator's service's), newest first."""
    paginator = Paginator(selectors.referral_list(user=request.user), LIST_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    referrals = list(page_obj.object_list)
    _record_access(request, "referral_list", referrals)
    return render(
        request,
        "referrals/referral_list.html",
        {"nav": "mine", "page_obj": page_obj, "referrals": referrals},
    )


# --- Coordinator queue ----------------------------------------------------------------


def _running_clocks(referral: Referral, now: datetime) -> list[dict[str, Any]]:
    views = (selectors.clock_view(c, now) for c in referral.clocks.all())
    return [v for v in views if v["status"] in (ClockStatus.RUNNING, ClockStatus.BREACHED)]


def _queue_row(referral: Referral, now: datetime, notice: str = "") -> dict[str, Any]:
    clocks = _running_clocks(referral, now)
    return {
        "referral": referral,
        "clocks": clocks,
        "overdue": any(c["status"] == ClockStatus.BREACHED for c in clocks),
        "notice": notice,
    }


def _queue(request: PageRequest, limit: int) -> dict[str, Any]:
    """The queue's rows (most urgent first, as the selector orders them)."""
    now = timezone.now()
    queue = selectors.queue_for(user=request.user)
    referrals = list(queue[: limit + 1])
    more = 0
    if len(referrals) > limit:
        referrals = referrals[:limit]
        more = queue.count() - limit
    return {
        "rows": [_queue_row(r, now) for r in referrals],
        "referrals": referrals,
        "more": more,
        "now": now,
    }


@page("queue")
@require_GET
def queue(request: PageRequest) -> HttpResponse:
    context = _queue(request, QUEUE_LIMIT)
    _record_access(request, "queue", context["referrals"])
    return render(request, "referrals/queue.html", {"nav": "queue", **context})


@page("queue")
@require_GET
def queue_rows(request: PageRequest) -> HttpResponse:
    """The queue table alone: the page fetches it every 15 seconds."""
    context = _queue(request, QUEUE_LIMIT)
    _record_access(request, "queue.rows", context["referrals"])
    return render(request, "referrals/_queue_rows.html", context)


@page("queue")
@require_GET
def queue_print(request: PageRequest) -> HttpResponse:
    """A printable fallback list for when the service or its workers are down:
    due times as clock times, since "time left" is stale once on paper."""
    context = _queue(request, PRINT_LIMIT)
    _record_access(request, "queue.print", context["referrals"])
    return render(request, "referrals/queue_print.html", context)


# --- One referral: the coordinator's working page -----------------------------------------
#
# The referral page shows the clocks, the advice that applies now, the timeline
# of events, the MDT decisions and the scores, and lets a coordinator record an
# event, an MDT decision, a status move, a "not appropriate" clock or a score
# without leaving it. Each form posts to its own URL and is validated by the
# API's input serializer for that action, then written by the same service.
#
# With htmx a form is answered in place: the panels it changed are swapped out
# of band (``referrals/detail/_update.html``), and a refused form comes back
# alone with its errors, since nothing was stored. Without JavaScript the same
# URLs answer a POST with a redirect to the page (or the page again with the
# errors): POST-redirect-GET.

# The panels any action may change; swapped after each success, and every
# 30 seconds while the page is open (so the countdowns and another
# coordinator's work show).
LIVE_PANELS = ("summary", "advice", "clocks", "timeline", "mdt", "scores")
# Each form's fragment: what is answered alone when it is refused.
FORM_FRAGMENTS = {
    "acknowledge": "summary",
    "event": "event_form",
    "withdraw": "timeline",
    "status": "status_form",
    "mdt": "mdt_form",
    "not_appropriate": "clocks",
    "sins": "sins_form",
    "tokuhashi": "tokuhashi_form",
}
# The forms a status move can change (what may be recorded on a closed referral).
STATUS_DEPENDENT = ("event_form", "status_form", "mdt_form")
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


def _fragment(name: str) -> str:
    return f"referrals/detail/_{name}.html"


def _scoped_referral(request: PageRequest, referral_id: UUID) -> Referral:
    # Scoped fetch: a referral the user may not see is a 404, not a 403.
    referrals = selectors.referral_detail(user=request.user).select_related(
        "pathway_version", "referred_by", "acknowledged_by", "category_overridden_by"
    )
    return get_object_or_404(referrals, pk=referral_id)


def referral_path(referral: Referral) -> str:
    return reverse("referral_detail", kwargs={"referral_id": referral.pk})


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
    return _EVENT_CODES.sub(lambda m: forms.EVENT_KIND_LABELS[m.group(1)], text)


def _clock_rows(
    referral: Referral, now: datetime, submitted: Submitted | None, may_mark: bool
) -> list[dict[str, Any]]:
    rows = []
    for clock in referral.clocks.all():
        view = selectors.clock_view(clock, now)
        view.update(
            stop_reason=_in_words(clock.stop_reason),
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
                "title": forms.EVENT_KIND_LABELS.get(event.kind, event.kind),
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


def _scores(referral: Referral) -> list[dict[str, Any]]:
    rows = []
    for record in referral.scores.select_related("recorded_by").order_by("recorded_at", "id"):
        # Points per component are not stored: the published tables give them
        # again from the stored inputs (as the scores API does).
        points = scoring.calculate(record.kind, record.inputs).components
        rows.append(
            {
                "record": record,
                "band_label": forms.LABELS[f"{record.kind}_band"].get(record.band, record.band),
                "inputs": [
                    (forms.score_input_label(record.kind, name, value), points.get(name))
                    for name, value in record.inputs.items()
                ],
            }
        )
    return rows


def _status_choices(referral: Referral) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The moves the state map allows from the current status, and for each
    optional-looking input, which of those moves need it."""
    allowed = TRANSITIONS[ReferralStatus(referral.status)]
    choices = [(s.value, forms.STATUS_LABELS[s]) for s in ReferralStatus if s in allowed]
    needs = {}
    for name in ("reason", "redirected_to", "occurred_at"):
        targets = [label for code, label in choices if name in REQUIRED_FIELDS.get(code, ())]
        if targets:
            needs[name] = "Needed for: " + "; ".join(targets) + "."
    return choices, needs


def _detail_context(
    request: PageRequest, referral: Referral, now: datetime, submitted: Submitted | None = None
) -> dict[str, Any]:
    user = request.user
    closed = referral.status in TERMINAL_STATUSES
    events = list(referral.events.all())
    status_choices, status_needs = _status_choices(referral)
    event_choices = [
        (k.value, forms.EVENT_KIND_LABELS[k])
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
    clocks = _clock_rows(
        referral, now, submitted, user.role in ACTION_ROLES["clock_not_appropriate"]
    )
    return {
        "referral": referral,
        "now": now,
        "closed": closed,
        "clocks": clocks,
        "any_markable": any(c["markable"] for c in clocks),
        "prompts": selectors.referral_prompts(referral),
        "timeline": _timeline(
            referral, events, submitted, not closed and user.role in ACTION_ROLES["referral_event"]
        ),
        "mdt_decisions": list(referral.mdt_decisions.all()),
        "scores": _scores(referral),
        "score_note": scoring.NOTE,
        "overridden": bool(referral.category_override_reason),
        "category_choices": [(c.value, forms.CATEGORY_CHOICE_LABELS[c.value]) for c in Category],
        "event_choices": event_choices,
        "status_choices": status_choices,
        "status_needs": status_needs,
        "mdt_choices": list(forms.MDT_DECISION_LABELS.items()),
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
    return f"form-{submitted.form}"


def _detail(
    request: PageRequest, referral: Referral, submitted: Submitted | None = None
) -> HttpResponse:
    _record_access(request, "referral_detail", [referral])
    context = _detail_context(request, referral, timezone.now(), submitted)
    return render(request, "referrals/referral_detail.html", context)


def _fragments(
    request: PageRequest,
    referral: Referral,
    fragments: list[str],
    *,
    submitted: Submitted | None = None,
    notice: str = "",
    name: str,
) -> HttpResponse:
    """Panels of the page, each to be swapped in place by its id (htmx)."""
    _record_access(request, f"referral_detail.{name}", [referral])
    context = _detail_context(request, referral, timezone.now(), submitted)
    context.update(fragments=[_fragment(f) for f in fragments], notice=notice)
    return render(request, "referrals/detail/_update.html", context)


@page("referral_detail")
@require_GET
def referral_detail(request: PageRequest, referral_id: UUID) -> HttpResponse:
    return _detail(request, _scoped_referral(request, referral_id))


@page("referral_detail")
@require_GET
def referral_live(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """The live panels alone: the page fetches them every 30 seconds, so the
    countdowns move and another coordinator's work shows."""
    referral = _scoped_referral(request, referral_id)
    return _fragments(request, referral, list(LIVE_PANELS), name="live")


Perform = Callable[[Referral, dict[str, Any], datetime], str]


def _error_dict(exc: Exception) -> dict[str, Any]:
    if isinstance(exc, DjangoValidationError):
        return exc.message_dict if hasattr(exc, "error_dict") else {forms.NON_FIELD: exc.messages}
    if isinstance(exc, DomainError):
        return {exc.field or forms.NON_FIELD: [exc.message]}
    raise TypeError(exc)


def _act(
    request: PageRequest,
    referral: Referral,
    *,
    form: str,
    names: tuple[str, ...],
    body: Serializer,
    perform: Perform,
    renamed: dict[str, str] | None = None,
    row: str = "",
) -> HttpResponse:
    """Validate a posted form with its API serializer, then call the service.

    Success: the changed panels (htmx), or a redirect to the page. Refused:
    the form again with each message beside its input (htmx: that form
    alone), and nothing stored (the services write in one transaction).
    """
    values = forms.form_values(request.POST, names)
    status_before = referral.status
    if body.is_valid():
        try:
            done = perform(referral, dict(body.validated_data), timezone.now())
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except (DomainError, DjangoValidationError) as exc:
            errors = forms.form_errors(_error_dict(exc), names, renamed)
            if isinstance(exc, DomainError) and exc.code == "already_acknowledged":
                errors = {forms.NON_FIELD: [_already_acknowledged(referral.pk)]}
        else:
            return _succeeded(request, referral.pk, form, names, row, done, status_before)
    else:
        errors = forms.form_errors(body.errors, names, renamed)
    submitted = Submitted(form=form, values=values, errors=errors, row=row)
    referral = _scoped_referral(request, referral.pk)
    if request.htmx:
        return _fragments(
            request,
            referral,
            [FORM_FRAGMENTS[form]],
            submitted=submitted,
            notice=f"Nothing was recorded: see the errors in {FORM_TITLES[form]}.",
            name=form,
        )
    return _detail(request, referral, submitted)


def _succeeded(
    request: PageRequest,
    referral_id: UUID,
    form: str,
    names: tuple[str, ...],
    row: str,
    done: str,
    status_before: str,
) -> HttpResponse:
    referral = _scoped_referral(request, referral_id)
    if not request.htmx:
        messages.success(request, done)
        return redirect(referral_path(referral))
    fragments = list(LIVE_PANELS)
    if FORM_FRAGMENTS[form] not in fragments:
        fragments.append(FORM_FRAGMENTS[form])
    if referral.status != status_before:
        fragments += [f for f in STATUS_DEPENDENT if f not in fragments]
    submitted = Submitted(form=form, values=forms.blank_values(names), row=row, done=done)
    return _fragments(request, referral, fragments, submitted=submitted, notice=done, name=form)


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
        )
        if data["kind"] == EventKind.ACKNOWLEDGED:
            return f"Acknowledged {referral.reference}."
        return f"Recorded: {forms.EVENT_KIND_LABELS[data['kind']]}."

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
        label = forms.EVENT_KIND_LABELS.get(wrong.kind, wrong.kind)
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
        return f"Status changed to {forms.STATUS_LABELS[ReferralStatus(data['status'])]}."

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
        mdt_decision_record(referral=referral, user=request.user, now=now, **data)
        return f"MDT decision recorded: {forms.MDT_DECISION_LABELS[data['decision']]}."

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
        clock_mark_not_appropriate(
            referral=referral, clock_id=clock.pk, reason=data["reason"], user=request.user, now=now
        )
        return f"{forms.CLOCK_KIND_LABELS[clock.kind]} clock marked not appropriate."

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
        band = forms.LABELS[f"{record.kind}_band"].get(record.band, record.band)
        return f"{forms.SCORE_KIND_LABELS[record.kind]} recorded: {record.score}, {band}."

    return _act(
        request,
        referral,
        form=kind,
        names=forms.SCORE_FIELDS[kind],
        body=ScoreRecordInput(data=forms.score_data(kind, request.POST)),
        perform=perform,
    )


def _already_acknowledged(referral_id: UUID) -> str:
    referral = Referral.objects.select_related("acknowledged_by").get(pk=referral_id)
    who = referral.acknowledged_by
    name = (who.get_full_name() or who.username) if who else "someone"
    return f"Already acknowledged by {name} at {when(referral.acknowledged_at)}."


@page("referral_acknowledge")
@require_POST
def referral_acknowledge(request: PageRequest, referral_id: UUID) -> HttpResponse:
    """Stop the acknowledgement clock. From the queue (htmx) the row is
    answered in place; without JavaScript the page is reloaded."""
    referral = _scoped_referral(request, referral_id)
    notice, ok = "", True
    try:
        services.referral_acknowledge(
            referral=referral,
            user=request.user,
            now=timezone.now(),
        )
    except DomainError as exc:
        ok = False
        notice = (
            _already_acknowledged(referral.pk)
            if exc.code == "already_acknowledged"
            else exc.message
        )
    if request.htmx:
        referral = _scoped_referral(request, referral_id)
        _record_access(request, "queue.acknowledge", [referral])
        row = _queue_row(
            referral, timezone.now(), notice=notice or f"Acknowledged {referral.reference}."
        )
        return render(request, "referrals/_queue_row.html", {"row": row, "ok": ok})
    if ok:
        messages.success(request, f"Acknowledged {referral.reference}.")
    else:
        messages.warning(request, notice)
    return redirect(_safe_next(request, referral_path(referral)))


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
            errors = {exc.field or forms.NON_FIELD: [exc.message]}
        else:
            label = forms.CATEGORY_CHOICE_LABELS[body.validated_data["category"]]
            messages.success(request, f"Category changed to {label}.")
            return redirect("referral_detail", referral_id=referral.pk)
    else:
        errors = forms.page_errors(body.errors)
    return _detail(
        request,
        _scoped_referral(request, referral_id),
        Submitted(form="category", values=values, errors=errors),
    )
