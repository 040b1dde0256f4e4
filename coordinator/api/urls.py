from django.urls import path

from coordinator.api import views, workflow

urlpatterns = [
    path("auth/me/", views.MeView.as_view(), name="api-me"),
    path("referrals/", views.ReferralListCreateView.as_view(), name="api-referrals"),
    path(
        "referrals/<uuid:referral_id>/",
        views.ReferralDetailView.as_view(),
        name="api-referral-detail",
    ),
    path(
        "referrals/<uuid:referral_id>/acknowledge/",
        views.AcknowledgeView.as_view(),
        name="api-referral-acknowledge",
    ),
    path(
        "referrals/<uuid:referral_id>/category/",
        views.CategoryOverrideView.as_view(),
        name="api-referral-category",
    ),
    path(
        "referrals/<uuid:referral_id>/events/",
        workflow.EventView.as_view(),
        name="api-referral-events",
    ),
    path(
        "referrals/<uuid:referral_id>/status/",
        workflow.StatusView.as_view(),
        name="api-referral-status",
    ),
    path("referrals/<uuid:referral_id>/mdt/", workflow.MdtView.as_view(), name="api-referral-mdt"),
    path(
        "referrals/<uuid:referral_id>/clocks/<uuid:clock_id>/not-appropriate/",
        workflow.ClockNotAppropriateView.as_view(),
        name="api-clock-not-appropriate",
    ),
    path(
        "referrals/<uuid:referral_id>/suspected-at/",
        views.SuspectedAtView.as_view(),
        name="api-referral-suspected-at",
    ),
    path(
        "referrals/<uuid:referral_id>/link/",
        views.LinkView.as_view(),
        name="api-referral-link",
    ),
    path("queue/", views.QueueView.as_view(), name="api-queue"),
]
