"""The product's URLs, plus the cart view under one prefix per authentication."""

from django.urls import path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework_simplejwt.authentication import (
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)

from authsite.urls import urlpatterns as product_urlpatterns
from jwt_sessions.authentication import JWTBearerAuthentication, JWTCookieAuthentication

from .views import BenchCartAPIView


def cart(authentication_classes, permission_classes=(IsAuthenticated,)):
    return BenchCartAPIView.as_view(
        authentication_classes=authentication_classes,
        permission_classes=permission_classes,
    )


urlpatterns = [
    path("anonymous/cart/", cart((), (AllowAny,))),
    # The product's own classes, in the product's order.
    path("ours/cart/", cart((JWTBearerAuthentication, JWTCookieAuthentication))),
    path("peer-session/cart/", cart((SessionAuthentication,))),
    path("peer-simplejwt/cart/", cart((JWTAuthentication,))),
    path("peer-stateless/cart/", cart((JWTStatelessUserAuthentication,))),
    *product_urlpatterns,
]
