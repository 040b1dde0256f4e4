from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = "Audit"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from audit.sql import register_sqlite_functions

        connection_created.connect(register_sqlite_functions, dispatch_uid="audit-sqlite-functions")
