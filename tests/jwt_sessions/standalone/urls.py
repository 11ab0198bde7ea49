from django.urls import include, path

from jwt_sessions import urls as jwt_sessions_urls

urlpatterns = [path("api/", include((jwt_sessions_urls.api_urlpatterns, "api")))]
