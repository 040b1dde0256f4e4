from django.urls import path

from notifications import views

urlpatterns = [
    path("rota/", views.rota_week, name="rota_week"),
    path("rota/gaps/", views.rota_gaps, name="rota_gaps"),
    path("rota/shifts/", views.rota_shift_create, name="rota_shift_create"),
    path("rota/shifts/<int:shift_id>/delete/", views.rota_shift_delete, name="rota_shift_delete"),
    path("rota/overrides/", views.rota_override_create, name="rota_override_create"),
]
