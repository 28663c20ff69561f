"""Settings of the throwaway OAuth 2.0 / OpenID Connect provider (test use only).

Environment: `DOT_DB_PATH` (sqlite file, required), `DOT_OIDC_KEY_PATH` (RSA private key
PEM, required), `DOT_ACCESS_TOKEN_EXPIRE_SECONDS` (default 3600).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def _required(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"set the environment variable {name}")
    return value


def pkce_required(client_id: str) -> bool:
    """PKCE is a must for public clients; confidential ones may skip it (it is verified if sent)."""
    from oauth2_provider.models import get_application_model

    app = get_application_model().objects.filter(client_id=client_id).first()
    return app is None or app.client_type == app.CLIENT_PUBLIC


BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "test-only-secret-key-of-a-throwaway-server"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
ROOT_URLCONF = "dot_project.urls"
WSGI_APPLICATION = "dot_project.wsgi.application"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
# Concurrent requests: wait for the write lock, take it at BEGIN (no upgrade deadlock), use WAL.
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": _required("DOT_DB_PATH"),
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        },
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Tables straight from the models (`migrate --run-syncdb`): 20x faster than the migrations.
MIGRATION_MODULES = {app.rsplit(".", 1)[-1]: None for app in INSTALLED_APPS}
USE_TZ = True
# A fast hasher: user passwords and client secrets are checked on every login and token call.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/accounts/login/"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": "WARNING"},
}

OAUTH2_PROVIDER = {
    "SCOPES": {
        "read": "Read",
        "write": "Write",
        "openid": "OpenID Connect",
        "profile": "Profile",
        "email": "Email",
        "introspection": "Token introspection",
    },
    "ACCESS_TOKEN_EXPIRE_SECONDS": int(os.environ.get("DOT_ACCESS_TOKEN_EXPIRE_SECONDS", "3600")),
    "ROTATE_REFRESH_TOKEN": True,
    "PKCE_REQUIRED": pkce_required,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    "ALLOW_LOCALHOST_LOOPBACK": True,
    "OIDC_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": Path(_required("DOT_OIDC_KEY_PATH")).read_text(),
    "OAUTH2_VALIDATOR_CLASS": "dot_project.validators.ClaimsValidator",
    # The device authorization grant (RFC 8628): the verification page is DOT's /o/device/.
    "OAUTH_DEVICE_VERIFICATION_URI": "/o/device/",
    "DEVICE_FLOW_INTERVAL": 1,
}
