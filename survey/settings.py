"""Settings for the survey project: one file, every deploy-time value from the environment."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF

from survey.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)
if DEBUG:
    SECRET_KEY = env_str("SECRET_KEY", "dev-only-insecure-key-do-not-use-in-production")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [])
    if not ALLOWED_HOSTS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")

# Unset, the site is where `make run` serves it: 127.0.0.1 on $PORT (8000 by default), so
# that printed and emailed links follow `make run PORT=8811`.
SITE_URL = env_str(
    "SITE_URL", f"http://127.0.0.1:{env_int('PORT', 8000, minimum=1)}"
).rstrip("/")
ADMIN_URL_PATH = env_str("ADMIN_URL_PATH", "manage/").strip("/") + "/"

INSTALLED_APPS = [
    "survey.apps.SurveyConfig",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "bootstrap",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_tasks",
    "django_tasks_db",
]

MIDDLEWARE = [
    # First, so that every response carries its X-Request-ID and every audit line its ID.
    "survey.middleware.RequestIdMiddleware",
    "survey.middleware.ReceivedAtMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything queries with what the request carries (the session cookie too).
    "survey.middleware.RequestGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "survey.middleware.SessionLifetimeMiddleware",
    # Marks request.user verified when this session passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "survey.audit.PermissionDeniedAuditMiddleware",
    # Inside CSP and clickjacking, so that its redirects carry their headers too.
    "survey.mfa.StaffMFAMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "survey.urls"
WSGI_APPLICATION = "survey.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL"), default_sqlite_path=BASE_DIR / "db.sqlite3"
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not Django's in-memory default, so that tests see WAL and threads share it.
    # Beside the main file, so that two checkouts or two URLs never share a test database.
    _main = Path(DATABASES["default"]["NAME"])
    DATABASES["default"]["TEST"] = {"NAME": str(_main.with_name(f"test-{_main.name}"))}
elif env_bool("DB_POOL", default=False):
    # Django's psycopg pool, one per worker process: its threads share a few open
    # connections instead of each keeping its own (CONN_MAX_AGE must then be 0).
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": 1,
        "max_size": env_int("DB_POOL_SIZE", 4, minimum=1),
        "timeout": 10,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "survey.User"
AUTHENTICATION_BACKENDS = [
    # Refuses a login to a locked-out account before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "survey-home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français")]
LOCALE_PATHS = [BASE_DIR / "survey" / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True
DEFAULT_DISPLAY_TIME_ZONE = "America/New_York"

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Uploads and generated exports are private: never under STATIC_ROOT, only served by
# permission-checked views.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "private-media")))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "survey@localhost")

# Sessions, per ASVS L2: they end after 30 minutes idle and 12 hours after the login
# whatever the activity. The idle expiry moves on at most once a minute, not on every
# request (survey.sessions, survey.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60, minimum=60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 3600, minimum=300)

SECURE_COOKIES = env_bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
if SECURE_COOKIES:
    # Browsers only accept __Host- cookies over HTTPS, so the prefix follows Secure.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
SESSION_COOKIE_SAMESITE = "Lax"
# No script of the site's or the admin's reads the CSRF cookie (forms carry the token):
# HttpOnly, as every cookie here (DH-1).
CSRF_COOKIE_HTTPONLY = True
SECURE_HSTS_SECONDS = env_int(
    "SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = False
# Joining the browsers' HSTS preload list binds the whole domain for months; that is the
# deploying office's decision, not the application's, hence W021 is silenced.
# axes.W006 warns that a lockout without the address can be dodged by rotating user
# agents or cookies; ours counts the account alone, which neither of them changes.
SILENCED_SYSTEM_CHECKS = ["security.W021", "axes.W006"]
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
if env_bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
CSRF_FAILURE_VIEW = "survey.views.csrf_failure"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Bootstrap's CSS embeds data: SVG icons.
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Login throttling (django-axes), by account: a contractor's staff share one office
# address, so an address alone is never locked. The count is kept in the database, so
# every app server sees it. A new password (reset by email) or an admin lifts it.
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "survey.audit.login_username"
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1))
AXES_RESET_ON_SUCCESS = True
# Failures during a lockout do not restart it: otherwise anyone who knows an address
# could keep its owner out through a deadline with a request every few minutes.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Logins and failures are already audit events; axes' access log would also keep every
# address and user agent forever.
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "survey.views.locked_out"
AXES_VERBOSE = False

# Staff (reviewers and admins) see every contractor's answers: in production they pass
# a second factor (TOTP, with one-time recovery codes) after the password, and enrol an
# authenticator app at their first login. Off by default with DEBUG on (the demo);
# STAFF_MFA=1 or 0 says otherwise.
STAFF_MFA = env_bool("STAFF_MFA", default=not DEBUG)
OTP_TOTP_ISSUER = "Dependency survey"
# Neither the TOTP secrets nor the recovery codes are shown in the admin: a second factor
# is only as secret as the people who can read it.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Background work (exports) on a real queue shared by every app server: django-tasks'
# API with django-tasks-db's database backend; `python manage.py db_worker` runs it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Exports: download links expire (the worker then deletes the file); a job without
# progress for EXPORT_STALE_MINUTES lost its worker; none runs past its timeout.
# Exports of at most EXPORT_INLINE_ROWS detail rows are built at once, in the request.
EXPORT_LINK_HOURS = env_int("EXPORT_LINK_HOURS", 24, minimum=1)
EXPORT_STALE_MINUTES = env_int("EXPORT_STALE_MINUTES", 10, minimum=1)
EXPORT_TIMEOUT_MINUTES = env_int("EXPORT_TIMEOUT_MINUTES", 30, minimum=1)
EXPORT_INLINE_ROWS = env_int("EXPORT_INLINE_ROWS", 0, minimum=0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every handler takes the filter: Django logs the path of refused requests, and an
    # invitation or reset link's path is its secret (survey.logs).
    "filters": {"mask_link_tokens": {"()": "survey.logs.MaskLinkTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["mask_link_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
