"""All referrals (a coordinator's service's) or My referrals (a referrer's
organisation's): searched, filtered and sorted.

The filters that are codes come in the address (``?clocks=overdue``); a
search text only in a POST, so an NHS number never reaches an address, a
log or the access record's path. A POST that finds is a read: it changes
nothing but the access record.
"""

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from coordinator.forms.referral_search import SearchForm, search_form
from coordinator.referral_search import (
    ClockFilter,
    ListSort,
    most_urgent_clocks,
    referral_search,
)
from coordinator.views.common import PageRequest, _record_access, page
from core.permissions import ACTION_ROLES
from referrals.codes import Category, ReferralStatus
from referrals.selectors import patient_shown_to

# Rows per page of the list.
LIST_PAGE_SIZE = 50
TEMPLATE = "referrals/referral_list.html"


def list_context(request: PageRequest, form: SearchForm) -> dict[str, Any]:
    """What the list page shows whatever it found: the form and its choices."""
    return {
        "nav": "mine",
        "form": form,
        "values": form.values,
        "errors": form.errors,
        "error_summary": form.error_summary(),
        "category_choices": Category.choices(),
        "status_choices": ReferralStatus.choices(),
        "clock_choices": ClockFilter.choices(),
        "sort_choices": ListSort.choices(),
        "may_export": request.user.role in ACTION_ROLES["referral_export"],
    }


def refused(request: PageRequest, form: SearchForm) -> HttpResponse:
    """The form again with its errors beside the inputs: a 400, nothing found,
    nothing recorded as seen."""
    return render(request, TEMPLATE, list_context(request, form), status=400)


@page("referral_list")
@require_http_methods(["GET", "POST"])
def referral_mine(request: PageRequest) -> HttpResponse:
    """The referrals the user may see that match the form, a page at a time."""
    posted = request.method == "POST"
    data: QueryDict = request.POST if posted else request.GET
    form = search_form(data, text_allowed=posted)
    if form.search is None:
        return refused(request, form)
    now = timezone.now()
    found = referral_search(user=request.user, search=form.search, now=now)
    paginator = Paginator(found, LIST_PAGE_SIZE)
    page_obj = paginator.get_page(data.get("page"))
    referrals = list(page_obj.object_list)
    _record_access(request, "referral_list", referrals)
    clocks = most_urgent_clocks(referrals, now)
    # Each row's patient as this user may see them: a referrer, as they sent them.
    rows = [(r, patient_shown_to(request.user, r), clocks.get(r.pk)) for r in referrals]
    return render(
        request,
        TEMPLATE,
        {
            **list_context(request, form),
            "search": form.search,
            "posted": posted,
            "page_obj": page_obj,
            "referrals": referrals,
            "rows": rows,
            # The address of another page of a list found from the address.
            "address_query": urlencode(form.hidden()),
        },
    )
