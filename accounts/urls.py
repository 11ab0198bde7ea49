from django.urls import path

from . import api, views

app_name = "accounts"

urlpatterns = [
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
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
    path(
        "token/refresh/",
        api.CookieTokenRefreshAPIView.as_view(),
        name="token-refresh",
    ),
    path("token/verify/", api.TokenVerifyAPIView.as_view(), name="token-verify"),
    path(
        "token/blacklist/",
        api.CookieTokenBlacklistAPIView.as_view(),
        name="token-blacklist",
    ),
    path("me/", api.MeAPIView.as_view(), name="me"),
    path("csrf/", api.CsrfAPIView.as_view(), name="csrf"),
    path("app/token/", api.AppTokenObtainAPIView.as_view(), name="app-token"),
    path(
        "app/token/refresh/",
        api.AppTokenRefreshAPIView.as_view(),
        name="app-token-refresh",
    ),
    path(
        "app/token/blacklist/",
        api.AppTokenBlacklistAPIView.as_view(),
        name="app-token-blacklist",
    ),
]
