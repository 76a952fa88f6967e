from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from config import health, metrics

urlpatterns = [
    path("", account_views.home, name="home"),
    path("metrics", metrics.metrics_view, name="metrics"),
    # /healthz and /readyz are answered by config.health.ProbeMiddleware, before the Host check.
    path("staff/health/", health.health_detail, name="staff_health"),
    # Before allauth's own: the same page, returning to where the person was going.
    path("accounts/2fa/totp/activate/", account_views.activate_totp, name="mfa_activate_totp"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("api/v1/", include("accounts.urls_api")),
    path("api/v1/", include("generations.urls_api")),
    path("api/v1/", include("reviews.urls_api")),
    path("api/v1/", include("feedback.urls_api")),
    path("api/v1/", include("privacy.urls_api")),
    path("", include("generations.urls")),
    path("", include("reviews.urls")),
    path("", include("feedback.urls")),
    path("", include("privacy.urls")),
    path("django-admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its set-up script from a URL: the Content-Security-Policy allows no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]

handler400 = "accounts.views.bad_request"
handler403 = "accounts.views.permission_denied"
handler404 = "accounts.views.page_not_found"
handler500 = "accounts.views.server_error"
