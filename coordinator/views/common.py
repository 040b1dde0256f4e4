"""What every page shares: the sign-in and role check (``page``), the access
record, the scoped fetch of one referral and its path, who already
acknowledged it, and the safe return address of a form.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any
from uuid import UUID

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.http import HttpResponseClientRedirect
from django_htmx.middleware import HtmxDetails

from coordinator import selectors, services
from coordinator.templatetags.referral_pages import when
from core.permissions import ACTION_ROLES
from referrals.models import Referral, User

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


def _scoped_referral(request: PageRequest, referral_id: UUID) -> Referral:
    # Scoped fetch: a referral the user may not see is a 404, not a 403.
    referrals = selectors.referral_detail(user=request.user).select_related(
        "pathway_version", "referred_by", "acknowledged_by", "category_overridden_by"
    )
    return get_object_or_404(referrals, pk=referral_id)


def referral_path(referral: Referral) -> str:
    return reverse("referral_detail", kwargs={"referral_id": referral.pk})


def _already_acknowledged(referral_id: UUID) -> str:
    referral = Referral.objects.select_related("acknowledged_by").get(pk=referral_id)
    who = referral.acknowledged_by
    name = (who.get_full_name() or who.username) if who else "someone"
    return f"Already acknowledged by {name} at {when(referral.acknowledged_at)}."
