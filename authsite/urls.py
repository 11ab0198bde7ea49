"""The project's URLs: each app's, included, and the few pages of its own."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import urls as accounts_urls
from jwt_sessions import urls as jwt_sessions_urls
from jwt_sessions.views import jwks
from mfa import urls as mfa_urls
from oidc import urls as oidc_urls
from registered_services import urls as registered_services_urls
from shop import urls as shop_urls
from shop.views import ProductListView

from .health import healthz
from .views import DashboardView, favicon

api_urlpatterns = (
    accounts_urls.api_urlpatterns
    + jwt_sessions_urls.api_urlpatterns
    + mfa_urls.api_urlpatterns
    + oidc_urls.api_urlpatterns
    + registered_services_urls.api_urlpatterns
    + shop_urls.api_urlpatterns
)

urlpatterns = [
    # The shop window is the home page.
    path("", ProductListView.as_view(), name="home"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("mfa.urls")),
    path("accounts/", include("oidc.urls")),
    path("shop/", include("shop.urls")),
    path("api/", include((api_urlpatterns, "api"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, not inline.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("api-auth/", include(accounts_urls.browsable_api_urlpatterns)),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path(".well-known/jwks.json", jwks, name="jwks"),
    path("admin/", admin.site.urls),
]
