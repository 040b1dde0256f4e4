"""New referral: the referral form."""

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coordinator import forms, idempotency, selectors, services
from coordinator.inputs import ReferralCreateInput
from coordinator.views.common import PageRequest, page
from core.errors import DomainError, field_errors, retry_after
from core.permissions import ACTION_ROLES


@page("referral_create")
@require_http_methods(["GET", "POST"])
def referral_new(request: PageRequest) -> HttpResponse:
    """The referral form (POST-redirect-GET to the referral's page on success)."""
    user = request.user
    organisations = forms.organisations_for(user)
    service_choices = forms.services_for(user)
    errors: dict[str, list[str]] = {}
    wait: int | None = None
    if request.method == "POST":
        values = forms.posted_values(request.POST)
        now = timezone.now()
        serializer = ReferralCreateInput(
            data=forms.referral_data(request.POST), context={"now": now}
        )
        # Checked with the serializer, so every problem is listed at once.
        unanswered = forms.unanswered(request.POST)
        if serializer.is_valid() and not unanswered:
            try:
                referral_id, replayed = _create_once(request, serializer.validated_data, now)
            except DomainError as exc:
                errors = field_errors(exc, forms.NON_FIELD)
                # Past the intake limits: 429 and when to try again, the
                # message (at the top of the form) saying to phone.
                wait = retry_after(exc)
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
            errors = {**unanswered, **forms.page_errors(serializer.errors)}
    else:
        values = forms.initial_values(user, organisations, service_choices)
    response = render(
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
            "coordinator_phones": [
                (s.name, s.coordinator_phone) for s in service_choices if s.coordinator_phone
            ],
        },
        # Refused input is a 400 (too many referrals a 429), the errors beside the fields.
        status=429 if wait is not None else 400 if errors else 200,
    )
    if wait is not None:
        response["Retry-After"] = str(wait)
    return response


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
