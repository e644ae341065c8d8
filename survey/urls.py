"""Root URLconf: the admin, accounts, the survey pages and the health check."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from survey import views

responses = [
    path("", views.start, name="survey-start"),
    path("s/<str:section_id>/", views.section, name="survey-section"),
    path("s/<str:section_id>/autosave", views.autosave, name="survey-autosave"),
    path("uses/", views.uses, name="survey-uses"),
    path("uses/<uuid:use_uuid>/", views.use_edit, name="survey-use"),
    path(
        "uses/<uuid:use_uuid>/autosave", views.use_autosave, name="survey-use-autosave"
    ),
    path("uses/<uuid:use_uuid>/delete", views.use_delete, name="survey-use-delete"),
    path("review/", views.review, name="survey-review"),
    path("submit", views.submit, name="survey-submit"),
    path("receipt/", views.receipt, name="survey-receipt"),
    path("export.xlsx", views.export, name="survey-export"),
    path("files/<uuid:attachment_uuid>", views.attachment, name="survey-attachment"),
]

accounts = [
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="survey-mfa-verify"),
    path("two-factor/setup/", views.two_factor_setup, name="survey-mfa-enrol"),
    path(
        "two-factor/recovery-codes/",
        views.recovery_codes,
        name="survey-mfa-recovery-codes",
    ),
    path("session", views.session_status, name="survey-session"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            html_email_template_name=None,
            email_template_name="registration/password_reset_email.txt",
            subject_template_name="registration/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirm.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("", views.home, name="survey-home"),
    path("healthz", views.healthz, name="survey-healthz"),
    path("r/<uuid:response_uuid>/", include(responses)),
    path(
        "invite/<str:token>/", views.accept_invitation, name="survey-accept-invitation"
    ),
    path("accounts/", include(accounts)),
    path("i18n/", include("django.conf.urls.i18n")),
    path(settings.ADMIN_URL_PATH, admin.site.urls),
]
