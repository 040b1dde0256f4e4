from django.urls import path

from audit.api import views

urlpatterns = [
    path("audit/summary/", views.AuditSummaryView.as_view(), name="api-audit-summary"),
]
