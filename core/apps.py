from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared floor: errors, API plumbing, roles and permissions, code
    labels, the append-only and versioned-configuration bases. It has no
    tables of its own and imports no domain app."""

    name = "core"
    verbose_name = "Shared floor"
