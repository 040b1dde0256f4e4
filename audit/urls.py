from django.urls import path

from audit import views

urlpatterns = [
    path("", views.audit_dashboard, name="audit_dashboard"),
    path("summary.csv", views.audit_summary_csv, name="audit_summary_csv"),
]
