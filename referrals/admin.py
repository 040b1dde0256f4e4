"""Django admin. Tenancy and users are edited here; clinical rows are read-only
(every clinical write goes through a service, which keeps history and clocks
consistent), and the access log can never be changed.

Every admin page that shows patient data (the referral and patient lists, a
search, one row, its history and a past version) records who saw which
referrals and patients, as the API and the pages do (issue 9, item 4)."""

from collections.abc import Iterable
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest, HttpResponse

from core.admin_history import HistoryAdmin
from referrals.models import (
    Alliance,
    Organisation,
    Patient,
    PatientDataAccess,
    Referral,
    User,
)
from referrals.services import access_record


class ReadOnly:
    """Nothing added, changed or deleted here: every write is a service's."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(ReadOnly, HistoryAdmin):
    pass


class PatientDataAdmin(ReadOnlyAdmin):
    """A read-only admin of patient data whose every page that shows some
    records the access before it answers (``referrals.services.access_record``,
    view ``admin.<model>.<page>``). A refused or empty page records nothing."""

    def seen(self, object_ids: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        """The (referral ids, patient ids) whose data these rows show."""
        raise NotImplementedError

    def _record(self, request: HttpRequest, page: str, object_ids: Iterable[Any]) -> None:
        referral_ids, patient_ids = self.seen(list(object_ids))
        access_record(
            user=request.user,  # type: ignore[arg-type]  # the admin needs a signed-in user
            view=f"admin.{self.opts.model_name}.{page}",
            path=request.get_full_path(),
            referral_ids=referral_ids,
            patient_ids=patient_ids,
        )

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The list, and a search of it (``?q=``: the NHS number of a patient)."""
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if response.status_code == 200 and changelist is not None:
            # Evaluated here, and cached for the template, so the rows recorded
            # are the rows shown.
            rows = list(changelist.result_list)
            self._record(request, "list", (row.pk for row in rows))
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """One row (read-only: the admin's "view" page)."""
        response = super().change_view(request, object_id, form_url, extra_context)
        original = (getattr(response, "context_data", None) or {}).get("original")
        if response.status_code == 200 and original is not None:
            self._record(request, "change", [original.pk])
        return response

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """Every past version of a row, with its field values."""
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._record(request, "history", [object_id])
        return response

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """One past version of a row."""
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200:
            self._record(request, "history_version", [object_id])
        return response


@admin.register(Alliance)
class AllianceAdmin(HistoryAdmin):
    list_display = ("code", "name", "population", "suppression_threshold")
    search_fields = ("code", "name")


@admin.register(Organisation)
class OrganisationAdmin(HistoryAdmin):
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
class ReferralAdmin(PatientDataAdmin):
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

    def seen(self, object_ids: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        return list(object_ids), []


@admin.register(Patient)
class PatientAdmin(PatientDataAdmin):
    list_display = ("nhs_number", "family_name", "given_name", "date_of_birth")
    search_fields = ("nhs_number",)

    def seen(self, object_ids: Iterable[Any]) -> tuple[list[Any], list[Any]]:
        patient_ids = list(object_ids)
        referral_ids = Referral.objects.filter(patient_id__in=patient_ids).values_list(
            "pk", flat=True
        )
        return list(referral_ids), patient_ids


@admin.register(PatientDataAccess)
class PatientDataAccessAdmin(ReadOnly, admin.ModelAdmin):  # type: ignore[type-arg]
    """Who saw what. It has no simple-history (it is never changed), so its
    history page is Django's own: the admin's log of changes, always empty."""

    list_display = ("at", "user", "view", "path", "referral_ids", "patient_ids")
    list_filter = ("view",)
    search_fields = ("user__username", "path")
