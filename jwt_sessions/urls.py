"""The token and session API, to be included under the project's API prefix.

    path("api/", include((jwt_sessions.urls.api_urlpatterns, "api")))

The views that log in with a password belong to the project, which has the
credential check; they build on api.BrowserTokenFlowAPIView and
api.TokenFlowAPIView.
"""

from django.urls import path

from . import api

api_urlpatterns = [
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
    path("sessions/", api.SessionListAPIView.as_view(), name="sessions"),
    path(
        "sessions/revoke-others/",
        api.SessionRevokeOthersAPIView.as_view(),
        name="sessions-revoke-others",
    ),
    path(
        "sessions/revoke-all/",
        api.SessionRevokeAllAPIView.as_view(),
        name="sessions-revoke-all",
    ),
    path("sessions/<uuid:pk>/", api.SessionAPIView.as_view(), name="session"),
    path("csrf/", api.CsrfAPIView.as_view(), name="csrf"),
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
