from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.views import admin_sign_in
from mscc.health import health

urlpatterns = [
    path("health/", health, name="health"),
    # The admin site signs in through the service's own sign-in (the lockout
    # and the second factor), never its password-only form.
    path("admin/login/", admin_sign_in, name="admin-sign-in"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),
    path("api/v1/", include("accounts.api.urls")),
    path("api/v1/", include("coordinator.api.urls")),
    path("api/v1/", include("pathways.api.urls")),
    path("api/v1/", include("notifications.api.urls")),
    path("api/v1/", include("notifications.api.escalation_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("notifications.urls")),
    path("", include("coordinator.urls")),
]
