from django.urls import path

from notifications.api import escalations

urlpatterns = [
    path(
        "escalations/<uuid:escalation_id>/acknowledge/",
        escalations.EscalationAcknowledgeView.as_view(),
        name="api-escalation-acknowledge",
    ),
    path("notifications/", escalations.InboxView.as_view(), name="api-inbox"),
    path(
        "notifications/<uuid:delivery_id>/read/",
        escalations.InboxReadView.as_view(),
        name="api-inbox-read",
    ),
]
