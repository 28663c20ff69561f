"""Routes: the login page, DOT under /o/ and the user API."""

from django.contrib.auth.views import LoginView
from django.urls import include, path

from . import views

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("o/device-authorization/", views.DeviceAuthorizationView.as_view()),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/me", views.me, name="me"),
]
