"""The provider login pages and the app API's provider login."""

from django.urls import path

from . import api, views

app_name = "oidc"

urlpatterns = [
    path("oidc/link/", views.LinkView.as_view(), name="link"),
    path(
        "oidc/identities/<int:pk>/remove/",
        views.IdentityRemoveView.as_view(),
        name="identity-remove",
    ),
    path("oidc/<slug:provider_id>/login/", views.LoginView.as_view(), name="login"),
    path(
        "oidc/<slug:provider_id>/callback/",
        views.CallbackView.as_view(),
        name="callback",
    ),
    path(
        "oidc/<slug:provider_id>/link/",
        views.LinkStartView.as_view(),
        name="link-start",
    ),
]

api_urlpatterns = [
    path("app/oidc/nonce/", api.AppNonceAPIView.as_view(), name="oidc-nonce"),
    path(
        "app/oidc/<slug:provider_id>/token/",
        api.AppProviderTokenAPIView.as_view(),
        name="oidc-token",
    ),
]
