from django.contrib import admin

from notifications.models import Heartbeat, Shift


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ("service", "role", "user", "starts_at", "ends_at")
    list_filter = ("service", "role")
    date_hierarchy = "starts_at"


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "at", "worker")
