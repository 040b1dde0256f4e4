"""Django admin. Tenancy and users are edited here; clinical rows are read-only
(every clinical write goes through a service, which keeps history and clocks
consistent), and the access log can never be changed."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import models
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from notifications.services import escalation_policy_create_default
from pathways.services import pathway_create_default
from referrals.models import (
    Alliance,
    Organisation,
    Patient,
    PatientDataAccess,
    Referral,
    Service,
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


@admin.register(Service)
class ServiceAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "alliance", "coordinator_phone")
    # A webhook URL typed without a scheme is read as https, never http.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ("alliance",)
    search_fields = ("code", "name")

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Every new service starts on NG234's defaults (pathway version 1) and
        # the default escalation policy.
        if not obj.pathway_versions.exists():
            pathway_create_default(service=obj, user=request.user)  # type: ignore[arg-type]
        if not obj.escalation_policies.exists():
            escalation_policy_create_default(service=obj, user=request.user)  # type: ignore[arg-type]


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
