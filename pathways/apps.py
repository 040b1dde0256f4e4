from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "pathways"
    verbose_name = "Pathways and clocks"
    default_auto_field = "django.db.models.BigAutoField"
