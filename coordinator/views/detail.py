"""One referral: the coordinator's working page, its live refresh, and how a
form posted on it is answered.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from rest_framework.serializers import Serializer

from coordinator import forms
from coordinator.views.common import (
    PageRequest,
    _already_acknowledged,
    _record_access,
    _scoped_referral,
    page,
    referral_path,
)
from coordinator.views.detail_context import Submitted, _detail_context
from core.api.exceptions import domain_error
from core.errors import DomainError, NotFound, field_errors
from referrals.models import Referral

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
# coordinator's work show). The escalations panel renders nothing for a
# referrer, so nothing of it is swapped for them.
LIVE_PANELS = ("summary", "advice", "clocks", "timeline", "mdt", "escalations", "scores")
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


def _fragment(name: str) -> str:
    return f"referrals/detail/_{name}.html"


def _detail(
    request: PageRequest,
    referral: Referral,
    submitted: Submitted | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    _record_access(request, "referral_detail", [referral])
    context = _detail_context(request, referral, timezone.now(), submitted)
    return render(request, "referrals/referral_detail.html", context, status=status)


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
    context.update(
        fragments=[_fragment(f) for f in fragments],
        notice=notice,
        # A refusal empties the corner notice: an earlier "Recorded" must not
        # stand beside an error (issue 11).
        clear_notice=bool(submitted and submitted.errors),
    )
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
    error = domain_error(exc)
    if error is None:
        raise TypeError(exc)
    return field_errors(error, forms.NON_FIELD)


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
            # No corner notice: an error is said in the form itself, as an
            # error, beside the fields it names, and never over them (issue 11).
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
