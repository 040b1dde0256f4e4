"""Django admin. Tenancy and users are edited here; clinical rows are read-only
(every clinical write goes through a service, which keeps history and clocks
consistent), and the access log can never be changed."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from referrals.models import (
    Alliance,
    Organisation,
    Patient,
    PatientDataAccess,
    Referral,
    User,
)


class ReadOnlyAdmin(SimpleHistoryAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Alliance)
class AllianceAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "population", "suppression_threshold")
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "alliance")
    list_filter = ("kind", "alliance")
    search_fields = ("code", "name")


@admin.register(User)
class MsccUserAdmin(UserAdmin):
    list_display = (
        "username",
        "get_full_name",
        "role",
        "organisation",
        "service",
        "alliance",
        "is_active",
    )
    list_filter = ("role", "is_active")
    fieldsets = (
        *UserAdmin.fieldsets,
        (
            "MSCC role and scope",
            {"fields": ("role", "organisation", "service", "alliance", "phone")},
        ),
    )


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = (
        "reference",
        "category",
        "status",
        "service",
        "referring_organisation",
        "received_at",
    )
    list_filter = ("category", "status", "service")
    search_fields = ("reference",)


@admin.register(Patient)
class PatientAdmin(ReadOnlyAdmin):
    list_display = ("nhs_number", "family_name", "given_name", "date_of_birth")
    search_fields = ("nhs_number",)


@admin.register(PatientDataAccess)
class PatientDataAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "view", "path")
    list_filter = ("view",)
    search_fields = ("user__username", "path")
