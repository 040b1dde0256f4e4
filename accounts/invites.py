"""Invitation links: a one-time, expiring link that lets someone a service
admin added to the team choose their password.

The link carries one signed token (``django.core.signing``, keyed by
SECRET_KEY) holding the user's id, when it was issued, and a fingerprint of
the account as it was then: its (unusable) password hash, last sign-in,
whether it is active, its role and e-mail. The link therefore stops working:

* once used (the password is set, so the fingerprint no longer matches);
* when a new link is sent (a fresh unusable password is set);
* when the account is deactivated or its role changes;
* ``MSCC_INVITE_DAYS`` days after it was issued (checked against ``now``,
  passed in, never read from the wall clock here).

The token is never logged: log lines carry the user's id only.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from accounts.models import TeamChange
from core.logs import get_logger

log = get_logger(__name__)

_SALT = "accounts.invite"


def _fingerprint(user: Any) -> str:
    last_login = "" if user.last_login is None else user.last_login.isoformat()
    material = "|".join(
        (
            str(user.pk),
            user.password,
            last_login,
            str(bool(user.is_active)),
            str(user.role),
            str(user.email),
        )
    )
    return salted_hmac(_SALT, material, algorithm="sha256").hexdigest()[:32]


def invite_token(*, user: Any, now: datetime) -> str:
    """A new invitation token for ``user`` (whose password must be unset)."""
    payload = {"u": user.pk, "at": int(now.timestamp()), "f": _fingerprint(user)}
    return signing.dumps(payload, salt=_SALT, compress=True)


def invite_link(token: str) -> str:
    """The address the invitee opens. The token goes in the query, which the
    access log never records (gunicorn.conf.py)."""
    return f"{settings.MSCC_BASE_URL}{reverse('invite_open')}?token={token}"


class InviteProblem(Enum):
    UNKNOWN = "unknown"  # not a token of ours, or its account is gone
    USED = "used"  # used, replaced by a newer link, or the account changed
    EXPIRED = "expired"


@dataclass(frozen=True)
class InviteCheck:
    user: Any = None
    problem: InviteProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def invite_check(*, token: str, now: datetime) -> InviteCheck:
    """Whose invitation ``token`` is, if it is still good at ``now``."""
    try:
        payload = signing.loads(token, salt=_SALT)
    except signing.BadSignature:
        return InviteCheck(problem=InviteProblem.UNKNOWN)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        return InviteCheck(problem=InviteProblem.UNKNOWN)
    user = get_user_model().objects.filter(pk=payload["u"]).first()
    if user is None:
        return InviteCheck(problem=InviteProblem.UNKNOWN)
    issued = payload.get("at")
    if not isinstance(issued, int):
        return InviteCheck(problem=InviteProblem.UNKNOWN)
    if now.timestamp() - issued > timedelta(days=settings.MSCC_INVITE_DAYS).total_seconds():
        return InviteCheck(problem=InviteProblem.EXPIRED)
    if (
        user.has_usable_password()
        or not user.is_active
        or not constant_time_compare(str(payload.get("f", "")), _fingerprint(user))
    ):
        return InviteCheck(problem=InviteProblem.USED)
    return InviteCheck(user=user)


class InviteRefused(Exception):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(problem.value)
        self.problem = problem


@transaction.atomic
def invite_accept(*, token: str, password: str, now: datetime) -> Any:
    """The invitee's chosen password set (Django's password rules checked by
    the caller's form), which uses the link up. Under the user's row lock, so
    one link is never accepted twice by two requests at once."""
    check = invite_check(token=token, now=now)
    if not check.ok:
        raise InviteRefused(check.problem or InviteProblem.UNKNOWN)
    user = get_user_model().objects.select_for_update().get(pk=check.user.pk)
    again = invite_check(token=token, now=now)
    if not again.ok:
        raise InviteRefused(again.problem or InviteProblem.UNKNOWN)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    if user.service_id is not None:
        TeamChange.objects.create(
            at=now, service_id=user.service_id, member=user, by=user, action="joined"
        )
    log.info("invite.accepted", user_id=user.pk)
    return user
