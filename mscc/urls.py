from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

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
    path("api/v1/", include("audit.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The docs page's script is a file of its own (?script), not inline: the
    # Content-Security-Policy allows no inline script. Signed-in users only.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="api_docs/swagger_ui.html"
        ),
        name="api-docs",
    ),
    path("audit/", include("audit.urls")),
    path("", include("notifications.urls")),
    path("", include("coordinator.urls")),
]

# An exception nothing else answered: JSON under /api/, a 503 for a database fault.
handler500 = "mscc.errors.server_error"
