from django.urls import path

from accounts.api import views

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="api-token"),
    path("auth/sign-out/", views.SignOutView.as_view(), name="api-sign-out"),
    path(
        "auth/sign-out-everywhere/",
        views.SignOutEverywhereView.as_view(),
        name="api-sign-out-everywhere",
    ),
]
