from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import invite_views, views

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/code/", views.sign_in_code, name="sign_in_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", views.account, name="account"),
    path("two-factor/setup/", views.two_factor_setup, name="two_factor_setup"),
    path("two-factor/recovery-codes/", views.recovery_codes_new, name="recovery_codes_new"),
    path("password/", views.PasswordChange.as_view(), name="password_change"),
    path("sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    # An invitation link (the token in the query), then choosing a password.
    path("invite/", invite_views.invite_open, name="invite_open"),
    path("invite/password/", invite_views.invite_password, name="invite_password"),
]
