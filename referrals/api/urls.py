from django.urls import path

from referrals.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
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
    path("queue/", views.QueueView.as_view(), name="api-queue"),
]
