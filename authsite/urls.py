from django.contrib import admin
from django.urls import include, path

from accounts import urls as accounts_urls
from accounts.views import DashboardView, HomeView

urlpatterns = [
    path("", HomeView.as_view(), name="home"),
    path("dashboard/", DashboardView.as_view(), name="dashboard"),
    path("accounts/", include("accounts.urls")),
    path("api/", include((accounts_urls.api_urlpatterns, "api"))),
    path("api-auth/", include(accounts_urls.browsable_api_urlpatterns)),
    path("admin/", admin.site.urls),
]
