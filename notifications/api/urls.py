from django.urls import path

from notifications.api import rota

urlpatterns = [
    path("rota/", rota.RotaView.as_view(), name="api-rota"),
    path("rota/shifts/", rota.ShiftCreateView.as_view(), name="api-rota-shifts"),
    path(
        "rota/shifts/<int:shift_id>/", rota.ShiftDetailView.as_view(), name="api-rota-shift-detail"
    ),
    path("rota/overrides/", rota.OverrideCreateView.as_view(), name="api-rota-overrides"),
    path("rota/on-call/", rota.OnCallView.as_view(), name="api-rota-on-call"),
    path("rota/gaps/", rota.GapsView.as_view(), name="api-rota-gaps"),
    path("rota/pattern/", rota.PatternView.as_view(), name="api-rota-pattern"),
]
