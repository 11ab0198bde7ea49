"""The services' endpoints, included under /api/ by the project."""

from django.urls import path

from . import api

app_name = "registered_services"

api_urlpatterns = [
    path("introspect/", api.IntrospectionAPIView.as_view(), name="introspect"),
    path("events/", api.EventsAPIView.as_view(), name="events"),
]
