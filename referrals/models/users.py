"""Users and their one role, scoped to an organisation, a service or an alliance."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from core.labels import choices
from core.roles import Role

# Which scope each role is tied to; every queryset filters by it.
ROLE_SCOPE: dict[Role, str] = {
    Role.REFERRER: "organisation",
    Role.COORDINATOR: "service",
    Role.SENIOR_CLINICIAN: "service",
    Role.SERVICE_ADMIN: "service",
    Role.ALLIANCE_LEAD: "alliance",
}


class User(AbstractUser):
    role = models.CharField(max_length=32, choices=choices(Role), blank=True)
    organisation = models.ForeignKey(
        "referrals.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="users",
    )
    service = models.ForeignKey(
        "referrals.Service", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    alliance = models.ForeignKey(
        "referrals.Alliance", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    phone = models.CharField(max_length=32, blank=True)

    def clean(self) -> None:
        super().clean()
        if not self.role:
            return
        scope = ROLE_SCOPE[Role(self.role)]
        if getattr(self, f"{scope}_id") is None:
            raise ValidationError({scope: f"A {self.get_role_display()} needs a {scope}."})

    @property
    def is_referrer(self) -> bool:
        return self.role == Role.REFERRER

    @property
    def is_service_clinician(self) -> bool:
        return self.role in (Role.COORDINATOR, Role.SENIOR_CLINICIAN)
