from django.urls import path

from authsite_verifier.django import EventsView
from inventory.api import ItemsAPIView

urlpatterns = [
    path("api/items/", ItemsAPIView.as_view(), name="items"),
    # The events URL registered on the site: it POSTs signed SETs here.
    path("events/", EventsView.as_view(), name="events"),
]
