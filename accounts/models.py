from django.conf import settings
from django.db import models

from core.models import AppendOnly


class SignedInSession(models.Model):
    """A web session signed in as a user: Django's session table does not say
    whose a session is, and "sign out everywhere" must find them all.
    Written on sign-in, removed on sign-out (accounts/signals.py)."""

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="signed_in_sessions"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["user", "created_at"])]

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class TeamChange(AppendOnly):
    """One change a service admin (or the invitee) made to a member of the
    service's team: invited, joined, role changed, deactivated, reactivated.
    Append-only: written by coordinator/services/team.py and
    accounts/invites.py, never edited or removed. ``details`` holds codes and
    times only (the roles before and after, the rota rows released), never a
    patient's anything."""

    class Action(models.TextChoices):
        INVITED = "invited", "Invited"
        JOINED = "joined", "Joined (set a password)"
        ROLE_CHANGED = "role_changed", "Role changed"
        DEACTIVATED = "deactivated", "Deactivated"
        REACTIVATED = "reactivated", "Reactivated"
        INVITE_RENEWED = "invite_renewed", "New invitation link"

    at = models.DateTimeField()
    service = models.ForeignKey(
        "referrals.Service", on_delete=models.PROTECT, related_name="team_changes"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="team_changes"
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, choices=Action.choices)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["service", "-at"], name="team_change_recent")]

    def __str__(self) -> str:
        return f"{self.action} user {self.member_id} by {self.by_id} at {self.at:%Y-%m-%d %H:%M}"
