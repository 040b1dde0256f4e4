"""Who may open a notifications page (the rota pages, the notifications
page): the API's permission table decides, so pages and API agree."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from core.permissions import ACTION_ROLES

View = Callable[..., HttpResponse]


def role_page(action: str) -> Callable[[View], View]:
    """Sign-in and role check from the API's permission table: signed out
    goes to the sign-in page, a wrong role is a 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if getattr(user, "role", None) not in ACTION_ROLES[action]:
                raise PermissionDenied("Your role may not use this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
