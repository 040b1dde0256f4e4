"""My referrals: a referrer's organisation's referrals (a coordinator's service's)."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from coordinator import selectors
from coordinator.views.common import PageRequest, _record_access, page
from referrals.selectors import patient_shown_to

# Rows per page of "My referrals".
LIST_PAGE_SIZE = 50


@page("referral_list")
@require_GET
def referral_mine(request: PageRequest) -> HttpResponse:
    """A referrer's organisation's referrals (a coordinator's service's), newest first."""
    paginator = Paginator(selectors.referral_list(user=request.user), LIST_PAGE_SIZE)
    page_obj = paginator.get_page(request.GET.get("page"))
    referrals = list(page_obj.object_list)
    _record_access(request, "referral_list", referrals)
    # Each row's patient as this user may see them: a referrer, as they sent them.
    rows = [(r, patient_shown_to(request.user, r)) for r in referrals]
    return render(
        request,
        "referrals/referral_list.html",
        {"nav": "mine", "page_obj": page_obj, "referrals": referrals, "rows": rows},
    )
