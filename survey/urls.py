"""Root URLconf: the admin, accounts, the survey pages and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from survey import views

urlpatterns = [
    path("", views.home, name="survey-home"),
    path("healthz", views.healthz, name="survey-healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL_PATH, admin.site.urls),
]
