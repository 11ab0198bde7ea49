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
    path("security/passkeys/add/", views.PasskeyAddView.as_view(), name="passkey-add"),
    path(
        "security/passkeys/<int:pk>/rename/",
        views.PasskeyRenameView.as_view(),
        name="passkey-rename",
    ),
    path(
        "security/passkeys/<int:pk>/remove/",
        views.PasskeyRemoveView.as_view(),
        name="passkey-remove",
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
    path("passkeys/", api.PasskeyListAPIView.as_view(), name="passkeys"),
    path("passkeys/<int:pk>/", api.PasskeyAPIView.as_view(), name="passkey"),
    path(
        "passkeys/register/options/",
        api.PasskeyRegisterOptionsAPIView.as_view(),
        name="passkey-register-options",
    ),
    path(
        "passkeys/register/",
        api.PasskeyRegisterAPIView.as_view(),
        name="passkey-register",
    ),
    path(
        "passkeys/login/options/",
        api.CookiePasskeyLoginOptionsAPIView.as_view(),
        name="passkey-login-options",
    ),
    path(
        "passkeys/login/", api.CookiePasskeyLoginAPIView.as_view(), name="passkey-login"
    ),
    path(
        "passkeys/reauthenticate/options/",
        api.PasskeyStepUpOptionsAPIView.as_view(),
        name="passkey-reauthenticate-options",
    ),
    path(
        "passkeys/reauthenticate/",
        api.PasskeyStepUpAPIView.as_view(),
        name="passkey-reauthenticate",
    ),
    path(
        "app/passkeys/login/options/",
        api.AppPasskeyLoginOptionsAPIView.as_view(),
        name="app-passkey-login-options",
    ),
    path(
        "app/passkeys/login/",
        api.AppPasskeyLoginAPIView.as_view(),
        name="app-passkey-login",
    ),
]
