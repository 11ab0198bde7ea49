"""A URLconf with an API URL whose view fails, to see what clients get."""

from django.urls import include, path

from authsite import urls


def broken_view(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("api/broken/", broken_view), path("", include(urls))]
