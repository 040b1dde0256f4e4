"""Admin pages whose saves span apps: a new service is provisioned here."""

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from coordinator.services import service_provision
from core.admin_history import HistoryAdmin
from referrals.models import Service


@admin.register(Service)
class ServiceAdmin(HistoryAdmin):
    list_display = ("code", "name", "alliance", "coordinator_phone")
    # A webhook URL typed without a scheme is read as https, never http.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_filter = ("alliance",)
    search_fields = ("code", "name")

    def save_model(self, request: HttpRequest, obj: Service, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        # Every new service starts on NG234's defaults (pathway version 1) and
        # the default escalation policy.
        if not change:
            service_provision(service=obj, user=request.user)  # type: ignore[arg-type]
