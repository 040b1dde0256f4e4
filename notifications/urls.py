from django.urls import path

from notifications import inbox_views, pattern_views, views

urlpatterns = [
    path("rota/", views.rota_week, name="rota_week"),
    path("rota/gaps/", views.rota_gaps, name="rota_gaps"),
    path("rota/shifts/", views.rota_shift_create, name="rota_shift_create"),
    path("rota/shifts/<int:shift_id>/delete/", views.rota_shift_delete, name="rota_shift_delete"),
    path("rota/overrides/", views.rota_override_create, name="rota_override_create"),
    path("notifications/", inbox_views.notifications_inbox, name="notifications_inbox"),
    path("notifications/badge/", inbox_views.notifications_badge, name="notifications_badge"),
    path(
        "notifications/escalations/<uuid:escalation_id>/acknowledge/",
        inbox_views.notification_acknowledge,
        name="notification_acknowledge",
    ),
    path("rota/pattern/", pattern_views.rota_pattern, name="rota_pattern"),
    path(
        "notifications/<uuid:delivery_id>/read/",
        inbox_views.notification_read,
        name="notification_read",
    ),
    path("notifications/read/", inbox_views.notifications_read_shown, name="notifications_read"),
]
