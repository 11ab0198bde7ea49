"""The second step of a login and the security page, under /accounts/; the API."""

from django.urls import path

from . import api, views

app_name = "mfa"

urlpatterns = [
    path("login/mfa/", views.LoginStepView.as_view(), name="login-step"),
    path("security/", views.SecurityView.as_view(), name="security"),
    path("security/totp/", views.TotpSetupView.as_view(), name="totp-setup"),
    path("security/totp/remove/", views.TotpRemoveView.as_view(), name="totp-remove"),
    path(
        "security/recovery-codes/",
        views.RecoveryCodesView.as_view(),
        name="recovery-codes",
    ),
]

api_urlpatterns = [
    path("token/mfa/", api.CookieLoginStepAPIView.as_view(), name="token-mfa"),
    path("app/token/mfa/", api.AppLoginStepAPIView.as_view(), name="app-token-mfa"),
    path("mfa/totp/", api.TotpAPIView.as_view(), name="mfa-totp"),
    path(
        "mfa/totp/confirm/", api.TotpConfirmAPIView.as_view(), name="mfa-totp-confirm"
    ),
    path(
        "mfa/recovery-codes/",
        api.RecoveryCodesAPIView.as_view(),
        name="mfa-recovery-codes",
    ),
]
