"""A service admin's team: the coordinators and senior clinicians of their
own service. Who may do what to whom is decided here, whoever asks (pages,
a command, a future API):

* only an active service admin of a service manages its team;
* the team is the service's coordinators and senior clinicians; anyone of
  another service is "not found" (404), whatever their role;
* nobody acts on themselves, on a superuser, on anyone who may open the
  admin site, or on another service admin (403): granting or removing
  ``service_admin``, or any role but the two, stays with superusers in the
  Django admin;
* every invite, role change, deactivation and reactivation is recorded
  (``accounts.models.TeamChange``: who, when, what).

A deactivation ends the person's sessions and API tokens and takes them off
the rota from ``now`` (notifications/services/rota_release.py): the gaps it
opens are shown to the admin first (``team_deactivate_preview``).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.invites import invite_link, invite_token
from accounts.models import TeamChange
from accounts.services import sign_out_everywhere
from core.errors import DomainError, Forbidden, NotFound
from core.logs import get_logger
from core.roles import Role
from notifications.selectors.rota_release import RotaRelease, rota_release_preview
from notifications.services.rota_release import rota_release
from referrals.models import User

log = get_logger(__name__)

# The roles a service admin gives and changes; every other stays with superusers.
TEAM_ROLES = (Role.COORDINATOR, Role.SENIOR_CLINICIAN)
_NAME_MAX = 150
_PHONE_MAX = 32


def _admin(by: User) -> int:
    """The admin's service id; refused unless ``by`` is an active service admin."""
    if not (by.is_active and by.role == Role.SERVICE_ADMIN and by.service_id is not None):
        raise Forbidden("Only a service admin manages their service's team.")
    return by.service_id


def _member(*, by: User, username: str, lock: bool = False) -> User:
    """The team member ``username`` of the admin's own service, or an error:
    404 for anyone of another service (or nobody), 403 for the admin
    themselves and for anyone outside the two team roles."""
    service_id = _admin(by)
    users = User.objects.filter(username=(username or "").strip(), service_id=service_id)
    if lock:
        users = users.select_for_update()
    member = users.first()
    if member is None:
        raise NotFound("There is nobody of that name in your service's team.", field="member")
    if member.pk == by.pk:
        raise Forbidden("You cannot change your own account here.", field="member")
    if member.is_superuser or member.is_staff or member.role not in TEAM_ROLES:
        raise Forbidden(
            "Only coordinators and senior clinicians are managed here; other accounts "
            "(service admins, superusers) are managed by a superuser.",
            field="member",
        )
    return member


def _team_role(role: str) -> Role:
    if role == Role.SERVICE_ADMIN or role in {r.value for r in Role} - set(TEAM_ROLES):
        raise Forbidden(
            f"A service admin gives only the roles {Role.COORDINATOR.in_sentence} or "
            f"{Role.SENIOR_CLINICIAN.in_sentence}; the {Role(role).in_sentence} role is given "
            "by a superuser.",
            field="role",
        )
    if role not in TEAM_ROLES:
        raise DomainError("Choose coordinator or senior clinician.", field="role")
    return Role(role)


def _record(*, by: User, member: User, action: str, now: datetime, **details: Any) -> TeamChange:
    change: TeamChange = TeamChange.objects.create(
        at=now, service_id=_admin(by), member=member, by=by, action=action, details=details
    )
    log.info("team.changed", action=action, user_id=member.pk, by_user_id=by.pk)
    return change


# --- Reads ---------------------------------------------------------------------------


def team_members(*, by: User) -> QuerySet[User]:
    """The coordinators and senior clinicians of the admin's service, active
    and deactivated, by name; ``two_factor``: an authenticator app set up."""
    service_id = _admin(by)
    return (
        User.objects.filter(
            service_id=service_id, role__in=TEAM_ROLES, is_superuser=False, is_staff=False
        )
        .annotate(two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)))
        .order_by("-is_active", "last_name", "first_name", "username")
    )


def team_changes(*, by: User, limit: int = 20) -> QuerySet[TeamChange]:
    """The latest changes to the admin's service's team, newest first."""
    service_id = _admin(by)
    return (
        TeamChange.objects.filter(service_id=service_id)
        .select_related("member", "by")
        .order_by("-at", "-pk")[:limit]
    )


def team_member(*, by: User, username: str) -> User:
    """One member of the admin's team (the rules of ``_member``)."""
    return _member(by=by, username=username)


# --- Invite ------------------------------------------------------------------------


@dataclass(frozen=True)
class Invited:
    user: User
    link: str  # shown once to the admin; only the invitee's e-mail holds it too


def _invite_fields(
    *, username: str, first_name: str, last_name: str, email: str, phone: str
) -> dict[str, str]:
    values = {
        "username": (username or "").strip(),
        "first_name": (first_name or "").strip(),
        "last_name": (last_name or "").strip(),
        "email": (email or "").strip(),
        "phone": (phone or "").strip(),
    }
    errors: dict[str, str] = {}
    if not values["username"]:
        errors["username"] = "Enter a username: the name they sign in with."
    else:
        try:
            UnicodeUsernameValidator()(values["username"])
        except ValidationError:
            errors["username"] = "Use letters, digits and @ . + - _ only, without spaces."
        if len(values["username"]) > _NAME_MAX:
            errors["username"] = f"Keep the username under {_NAME_MAX} characters."
        elif User.objects.filter(username__iexact=values["username"]).exists():
            errors["username"] = "That username is taken: choose another."
    if not values["first_name"]:
        errors["first_name"] = "Enter their first name."
    if not values["last_name"]:
        errors["last_name"] = "Enter their last name."
    for name in ("first_name", "last_name"):
        if len(values[name]) > _NAME_MAX:
            errors[name] = f"Keep it under {_NAME_MAX} characters."
    if not values["email"]:
        errors["email"] = "Enter their e-mail address: the link is sent there."
    else:
        try:
            validate_email(values["email"])
        except ValidationError:
            errors["email"] = "Enter an e-mail address like name@nhs.net."
    if len(values["phone"]) > _PHONE_MAX:
        errors["phone"] = f"Keep the phone number under {_PHONE_MAX} characters."
    elif values["phone"] and not all(c.isdigit() or c in " +()-" for c in values["phone"]):
        errors["phone"] = "Use digits, spaces and + ( ) - only."
    if errors:
        raise DomainError(errors=errors)
    return values


def _send_link(*, user: User, link: str, service_name: str, renewed: bool) -> None:
    subject = "Your MSCC coordinator service account"
    body = (
        f"You have been {'sent a new link' if renewed else 'invited'} to join the MSCC "
        f"coordinator service team of {service_name}.\n\n"
        f"Open this link to choose your password (it works once, for "
        f"{settings.MSCC_INVITE_DAYS} days):\n{link}\n\n"
        "If you were not expecting this, ignore this e-mail."
    )
    send_mail(subject, body, None, [user.email])


@transaction.atomic
def team_invite(
    *,
    by: User,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    role: str,
    now: datetime,
) -> Invited:
    """A new coordinator or senior clinician of the admin's service, with no
    password yet, and their one-time link (e-mailed to them after commit)."""
    service_id = _admin(by)
    problems: dict[str, str] = {}
    try:
        values = _invite_fields(
            username=username, first_name=first_name, last_name=last_name, email=email, phone=phone
        )
    except DomainError as error:
        problems = {name: messages[0] for name, messages in error.errors.items()}
        values = {}
    try:
        team_role = _team_role(role)
    except Forbidden:
        raise  # a role only a superuser gives: 403, whatever else is wrong
    except DomainError as error:
        problems["role"] = error.message
    if problems:
        raise DomainError(errors=problems)
    user = User(service_id=service_id, role=team_role, is_active=True, **values)
    user.set_unusable_password()
    user.save()
    _record(by=by, member=user, action=TeamChange.Action.INVITED, now=now, role=team_role.value)
    link = invite_link(invite_token(user=user, now=now))
    service_name = by.service.name if by.service else ""
    transaction.on_commit(
        lambda: _send_link(user=user, link=link, service_name=service_name, renewed=False)
    )
    return Invited(user=user, link=link)


@transaction.atomic
def team_invite_renew(*, by: User, username: str, now: datetime) -> Invited:
    """A new link for someone who has not joined yet; the earlier link stops
    working (a fresh unusable password changes what links are bound to)."""
    member = _member(by=by, username=username, lock=True)
    if member.has_usable_password() or not member.is_active:
        raise DomainError(
            "They have already joined, or are deactivated: there is no invitation to renew.",
            field="member",
        )
    member.set_unusable_password()
    member.save(update_fields=["password"])
    _record(by=by, member=member, action=TeamChange.Action.INVITE_RENEWED, now=now)
    link = invite_link(invite_token(user=member, now=now))
    service_name = by.service.name if by.service else ""
    transaction.on_commit(
        lambda: _send_link(user=member, link=link, service_name=service_name, renewed=True)
    )
    return Invited(user=member, link=link)


# --- Role ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleChanged:
    member: User
    role_from: str
    # Their rota rows from now on, still in the old role: the rota is not
    # changed with the role, so the admin is told to change those rows.
    rota_rows: int


@transaction.atomic
def team_role_change(*, by: User, username: str, role: str, now: datetime) -> RoleChanged:
    """Coordinator to senior clinician, or back. Any other role is refused
    (403 naming ``role``): that stays with superusers."""
    team_role = _team_role(role)
    member = _member(by=by, username=username, lock=True)
    if member.role == team_role:
        raise DomainError(f"They are already a {team_role.in_sentence}.", field="role")
    before = member.role
    member.role = team_role
    member.save(update_fields=["role"])
    _record(
        by=by,
        member=member,
        action=TeamChange.Action.ROLE_CHANGED,
        now=now,
        role_from=before,
        role_to=team_role.value,
    )
    return RoleChanged(
        member=member,
        role_from=before,
        rota_rows=rota_release_preview(user=member, now=now).rows,
    )


# --- Deactivate and reactivate -------------------------------------------------------


@dataclass(frozen=True)
class DeactivationPreview:
    member: User
    rota: RotaRelease
    # The service lead is who escalations go to when nobody is on call: a
    # deactivated lead cannot sign in to read them.
    service_lead: bool


def team_deactivate_preview(*, by: User, username: str, now: datetime) -> DeactivationPreview:
    """What deactivating ``username`` at ``now`` would take off the rota, and
    the gaps it would open (nobody else on call for that role then)."""
    member = _member(by=by, username=username)
    if not member.is_active:
        raise DomainError("They are already deactivated.", field="member")
    service = member.service
    return DeactivationPreview(
        member=member,
        rota=rota_release_preview(user=member, now=now),
        service_lead=service is not None and service.lead_id == member.pk,
    )


def _when(value: datetime) -> str:
    return value.isoformat()


@transaction.atomic
def team_deactivate(
    *,
    by: User,
    username: str,
    now: datetime,
) -> RotaRelease:
    """Deactivate a member: they can no longer sign in, every session and
    API token of theirs ends, and they are taken off the rota from ``now``."""
    if (username or "").strip() == by.username:
        _admin(by)
        raise Forbidden("You cannot deactivate yourself.", field="member")
    member = _member(by=by, username=username, lock=True)
    if not member.is_active:
        raise DomainError("They are already deactivated.", field="member")
    member.is_active = False
    member.save(update_fields=["is_active"])
    signed_out = sign_out_everywhere(user=member)
    released = rota_release(user=member, now=now, by=by)
    _record(
        by=by,
        member=member,
        action=TeamChange.Action.DEACTIVATED,
        now=now,
        role=member.role,
        sessions_ended=signed_out.sessions,
        tokens_revoked=signed_out.tokens,
        shifts_released=[[s.role, _when(s.starts_at), _when(s.ends_at)] for s in released.shifts],
        overrides_released=[
            [o.role, _when(o.starts_at), _when(o.ends_at)] for o in released.overrides
        ],
        gaps_opened=[[g.role, _when(g.starts_at), _when(g.ends_at)] for g in released.gaps],
    )
    return released


@transaction.atomic
def team_reactivate(*, by: User, username: str, now: datetime) -> User:
    """Let a deactivated member sign in again (with their old password; their
    rota rows are not put back)."""
    member = _member(by=by, username=username, lock=True)
    if member.is_active:
        raise DomainError("They are already active.", field="member")
    member.is_active = True
    member.save(update_fields=["is_active"])
    _record(by=by, member=member, action=TeamChange.Action.REACTIVATED, now=now, role=member.role)
    return member
