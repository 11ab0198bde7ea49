"""A service's URLconf for the Django integration tests."""

from django.http import JsonResponse
from django.urls import path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from authsite_verifier.django import EventsView, VerifierAuthentication


class ItemsAPIView(APIView):
    authentication_classes = [VerifierAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes = []

    def get(self, request):
        return Response({"user": request.user.id, "sid": request.auth["sid"]})


def not_found(request, exception=None):
    return JsonResponse({}, status=404)


urlpatterns = [
    path("api/items/", ItemsAPIView.as_view()),
    path("events/", EventsView.as_view()),
]
