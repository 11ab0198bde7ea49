"""The account pages, the browsable API's login links and the accounts API."""

from django.urls import path

from . import api, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path(
        "reauthenticate/",
        views.ReauthenticateView.as_view(),
        name="reauthenticate",
    ),
    path("sessions/", views.SessionListView.as_view(), name="sessions"),
    path("sessions/<uuid:pk>/end/", views.SessionEndView.as_view(), name="session-end"),
    path(
        "sessions/end-others/",
        views.SessionEndOthersView.as_view(),
        name="sessions-end-others",
    ),
    path(
        "sessions/end-all/", views.SessionEndAllView.as_view(), name="sessions-end-all"
    ),
    path(
        "password/change/",
        views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "email/verify/resend/",
        views.EmailVerifyResendView.as_view(),
        name="email-verify-resend",
    ),
    path(
        "email/verify/<str:token>/",
        views.EmailVerifyView.as_view(),
        name="email-verify",
    ),
    path("email/change/", views.EmailChangeView.as_view(), name="email-change"),
    path("password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

# The browsable API's "Log in" / "Log out" links look these names up in the
# `rest_framework` namespace; they lead to the same pages.
browsable_api_urlpatterns = (
    [
        path("login/", views.LoginView.as_view(), name="login"),
        path("logout/", views.LogoutView.as_view(), name="logout"),
    ],
    "rest_framework",
)

api_urlpatterns = [
    path("auth/register/", api.RegisterAPIView.as_view(), name="register"),
    path("token/", api.CookieTokenObtainAPIView.as_view(), name="token"),
    path("me/", api.MeAPIView.as_view(), name="me"),
    path(
        "auth/password/change/",
        api.PasswordChangeAPIView.as_view(),
        name="password-change",
    ),
    path("app/token/", api.AppTokenObtainAPIView.as_view(), name="app-token"),
    path("reauthenticate/", api.ReauthenticateAPIView.as_view(), name="reauthenticate"),
    path("email/verify/", api.EmailVerifyAPIView.as_view(), name="email-verify"),
    path(
        "email/verify/resend/",
        api.EmailVerifyResendAPIView.as_view(),
        name="email-verify-resend",
    ),
    path("email/change/", api.EmailChangeAPIView.as_view(), name="email-change"),
]
