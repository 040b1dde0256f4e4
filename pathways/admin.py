from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from pathways.models import ClockDefinition, PathwayVersion


class ClockDefinitionInline(admin.TabularInline):
    model = ClockDefinition
    extra = 0
    can_delete = False
    readonly_fields = (
        "kind",
        "categories",
        "start_event",
        "stop_event",
        "target",
        "warning_fractions",
        "reference",
        "justification",
    )

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(PathwayVersion)
class PathwayVersionAdmin(SimpleHistoryAdmin):
    """Read-only until pathway editing lands: a version is never edited in
    place, because referrals are frozen to it."""

    list_display = ("service", "number", "created_at", "created_by")
    list_filter = ("service",)
    inlines = [ClockDefinitionInline]
    readonly_fields = ("service", "number", "created_at", "created_by", "note")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
