"""Settings shared by every environment; everything that differs comes from the environment.

``DATABASE_URL`` selects the database (default: the embedded SQLite file under
``OMNIOMS_DATA_DIR``). See ``docs/operations.md`` for the full list of variables.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OMNIOMS_DATA_DIR", Path.cwd() / "var")).resolve()


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("OMNIOMS_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("OMNIOMS_DEBUG", False)
ALLOWED_HOSTS = env_list("OMNIOMS_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("OMNIOMS_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "omnioms.core",
    "omnioms.catalog",
    "omnioms.inventory",
    "omnioms.channels",
    "omnioms.sync",
    "omnioms.customers",
    "omnioms.orders",
    "omnioms.api",
    "omnioms.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "omnioms.urls"
WSGI_APPLICATION = "omnioms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_config(url: str | None) -> dict[str, object]:
    """SQLite gets WAL and IMMEDIATE transactions so writers queue instead of failing.

    ``synchronous=FULL``: in WAL mode, NORMAL lets a committed transaction roll back after a
    power loss or an OS crash, and a webhook answered 2xx after its commit must not vanish
    (the platform will not send it again). FULL syncs the log at each commit.
    """
    if not url:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{DATA_DIR / 'omnioms.sqlite3'}"
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                "PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536;"
            ),
        }
    return config


DATABASES = {"default": database_config(os.environ.get("DATABASE_URL"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("OMNIOMS_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic outside production
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:order_list"
LOGOUT_REDIRECT_URL = "web:login"

# Webhook bodies are stored whole; platforms send at most a few MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# Refused webhooks are counted per hour for the channel health page; older hours are purged.
OMNIOMS_WEBHOOK_REJECTION_DAYS = int(os.environ.get("OMNIOMS_WEBHOOK_REJECTION_DAYS", "14"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("OMNIOMS_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
