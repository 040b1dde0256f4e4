from django.apps import AppConfig


class CoordinatorConfig(AppConfig):
    """The coordinator's workflow and screens: the steps that span referrals,
    pathways and notifications (intake, acknowledge, events, status), and the
    queue, detail, API and pages built on them. It owns no tables."""

    name = "coordinator"
    verbose_name = "Coordinator workflow"
