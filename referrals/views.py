"""Server-rendered pages: a thin shell over services and selectors, as the API is.

Pages and API share one permission table (``ACTION_ROLES``), the same scoped
selectors (another organisation's or service's referral is a 404) and, for a
new referral, the same validation (``ReferralCreateInput``), so they accept
and refuse exactly the same things. Every page that shows patient data records
who saw which referrals (``services.access_record``).
"""

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from mscc.errors import DomainError
from pathways.codes import ClockStatus
from referrals import forms, idempotency, selectors, services
from referrals.api.permissions import ACTION_ROLES
from referrals.api.serializers import CategoryOverrideInput, ReferralCreateInput
from referrals.codes import Category
from referrals.models import Referral, User
from referrals.templatetags.referral_pages import when

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


# --- One referral ----------------------------------------------------------------------


def _detail(
    request: PageRequest,
    referral: Referral,
    *,
    override_values: dict[str, str] | None = None,
    override_errors: dict[str, list[str]] | None = None,
) -> HttpResponse:
    now = timezone.now()
    _record_access(request, "referral_detail", [referral])
    return render(
        request,
        "referrals/referral_detail.html",
        {
            "referral": referral,
            "clocks": [selectors.clock_view(c, now) for c in referral.clocks.all()],
            "prompts": selectors.referral_prompts(referral),
            "events": list(referral.events.all()),
            "overridden": bool(referral.category_override_reason),
            "category_choices": [
                (c.value, forms.CATEGORY_CHOICE_LABELS[c.value]) for c in Category
            ],
            "values": override_values or {"category": referral.category, "reason": ""},
            "errors": override_errors or {},
            "general_errors": (override_errors or {}).get(forms.NON_FIELD, []),
            "now": now,
        },
    )


def _scoped_referral(request: PageRequest, referral_id: UUID) -> Referral:
    # Scoped fetch: a referral the user may not see is a 404, not a 403.
    referrals = selectors.referral_detail(user=request.user).select_related(
        "pathway_version", "referred_by", "acknowledged_by", "category_overridden_by"
    )
    return get_object_or_404(referrals, pk=referral_id)


@page("referral_detail")
@require_GET
def referral_detail(request: PageRequest, referral_id: UUID) -> HttpResponse:
    return _detail(request, _scoped_referral(request, referral_id))


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


def referral_path(referral: Referral) -> str:
    return reverse("referral_detail", kwargs={"referral_id": referral.pk})


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
        override_values=values,
        override_errors=errors,
    )
