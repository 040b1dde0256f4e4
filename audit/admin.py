from django.contrib import admin

from audit.models import PostcodeDeprivation


@admin.register(PostcodeDeprivation)
class PostcodeDeprivationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Looked up, never edited: the lookup is loaded whole with
    ``manage.py load_imd`` from the published file."""

    list_display = ("postcode", "lsoa_code", "imd_decile")
    search_fields = ("postcode", "lsoa_code")
    list_filter = ("imd_decile",)

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
