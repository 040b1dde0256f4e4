from django.conf import settings
from django.db import models


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
