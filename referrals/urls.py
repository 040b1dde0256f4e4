from django.contrib.auth import views as auth_views
from django.urls import path

from referrals import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("referrals/new/", views.referral_new, name="referral_new"),
    path("referrals/mine/", views.referral_mine, name="referral_mine"),
    path("referrals/<uuid:referral_id>/", views.referral_detail, name="referral_detail"),
    path(
        "referrals/<uuid:referral_id>/acknowledge/",
        views.referral_acknowledge,
        name="referral_acknowledge",
    ),
    path(
        "referrals/<uuid:referral_id>/category/", views.referral_category, name="referral_category"
    ),
    path("queue/", views.queue, name="queue"),
    path("queue/rows/", views.queue_rows, name="queue_rows"),
    path("queue/print/", views.queue_print, name="queue_print"),
]
