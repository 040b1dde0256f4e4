"""What follows sign-in events wherever they happen (the pages, the API, the
admin site, a management command):

- a password change revokes every API token of the user (web sessions end
  by Django's own rule: a session carries a hash of the password it signed
  in with);
- a web sign-in is recorded for "sign out everywhere", a sign-out forgets it;
- each failure and pause is logged with ids: the user's id when the username
  is known, the client address, never the username typed, a password, a code
  or a token.
"""

from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_save
from django.dispatch import receiver

from accounts.services import session_forget, session_record, tokens_revoke_all
from core.client_address import client_address
from core.logs import get_logger

log = get_logger(__name__)


def _user_id(username: Any) -> int | None:
    if not isinstance(username, str) or not username:
        return None
    return get_user_model().objects.filter(username=username).values_list("pk", flat=True).first()


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def _revoke_tokens_on_password_change(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    # Django's AbstractBaseUser keeps the new password in ``_password`` from
    # set_password() until just after this signal (it then tells the
    # password validators); so this is every save that changed a password.
    if not created and getattr(instance, "_password", None) is not None:
        tokens_revoke_all(user=instance, reason="password_changed")
        log.info("password.changed", user_id=instance.pk)


@receiver(user_logged_in)
def _record_session(sender: Any, request: Any, user: Any, **_: Any) -> None:
    session = getattr(request, "session", None)
    # Only a session that this sign-in signed in (not a browser's session
    # that happened to carry an API sign-in).
    if session is not None and session.get(SESSION_KEY) == str(user.pk):
        session_record(user=user, session_key=session.session_key)


@receiver(user_logged_out)
def _forget_session(sender: Any, request: Any, user: Any, **_: Any) -> None:
    session = getattr(request, "session", None)
    if session is not None:
        session_forget(session_key=session.session_key)
    if user is not None:
        log.info("sign_out", user_id=user.pk, channel="page")


@receiver(user_login_failed)
def _log_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    log.info(
        "sign_in.failed",
        user_id=_user_id(credentials.get("username")),
        client_address=client_address(request) if request is not None else None,
        path=getattr(request, "path", None),
    )


@receiver(user_locked_out)
def _log_pause(sender: Any, request: Any, username: Any, ip_address: Any, **_: Any) -> None:
    log.warning(
        "sign_in.paused",
        user_id=_user_id(username),
        client_address=ip_address,
        failures=getattr(request, "axes_failures_since_start", None),
        cooloff_seconds=settings.MSCC_SIGN_IN_COOLOFF_SECONDS,
    )
