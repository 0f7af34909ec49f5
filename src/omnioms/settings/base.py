"""Settings shared by every environment; everything that differs comes from the environment.

``DATABASE_URL`` selects the database (default: the embedded SQLite file under
``OMNIOMS_DATA_DIR``). See ``docs/operations.md`` for the full list of variables.
"""

from __future__ import annotations

import os
from datetime import timedelta
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
    "django_tasks",
    "django_tasks_db",
    "ninja",  # serves Swagger UI's files for /api/v1/docs from here, not from a CDN
    "csp",
    "axes",
    "omnioms.core",
    "omnioms.catalog",
    "omnioms.production",
    "omnioms.inventory",
    "omnioms.channels",
    "omnioms.sync",
    "omnioms.forecasting",
    "omnioms.planning",
    "omnioms.floor",
    "omnioms.simulation",
    "omnioms.customers",
    "omnioms.orders",
    "omnioms.flows",
    "omnioms.service",
    "omnioms.api",
    "omnioms.sales",
    "omnioms.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, which answers static files without calling what follows it.
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "omnioms.api.middleware.RequestLimitsMiddleware",  # big bodies: 413; NUL in an address: 400
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
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

AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username and address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

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
# JavaScript and CSS from the npm registry (package.json and its lockfile at the repository's
# root; `make install` runs `npm ci`), served by omnioms under /static/vendor/, never a CDN.
NODE_MODULES = Path(
    os.environ.get("OMNIOMS_NODE_MODULES", PACKAGE_DIR.parent.parent / "node_modules")
)
VENDOR_DIRS = {
    "vendor/echarts": "echarts/dist",
    "vendor/vis-timeline": "vis-timeline/peer/umd",
    "vendor/vis-timeline-styles": "vis-timeline/styles",
    "vendor/vis-data": "vis-data/peer/umd",
    "vendor/moment": "moment/min",
    "vendor/zxing-browser": "@zxing/browser/umd",
    "vendor/cytoscape": "cytoscape/dist",
}
STATICFILES_DIRS = [
    (prefix, str(NODE_MODULES / path))
    for prefix, path in VENDOR_DIRS.items()
    if (NODE_MODULES / path).is_dir()
]
WHITENOISE_USE_FINDERS = True  # serve app static files without collectstatic outside production
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:order_list"
LOGOUT_REDIRECT_URL = "web:login"

# Login throttling (django-axes) on the web and admin logins; API bearer tokens are not
# logins and are not counted. Locked per username *and* address, so that someone guessing
# a user's password from elsewhere does not lock that user out. Counted in the database
# (AccessAttempt), so every web process and machine sees the same count.
AXES_FAILURE_LIMIT = int(os.environ.get("OMNIOMS_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(
    minutes=max(1, int(os.environ.get("OMNIOMS_LOGIN_COOLOFF_MINUTES", "15")))
)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The cool-off runs from the failure that locked; tries while locked do not extend it, so the
# time the page announces holds.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "omnioms.web.errors.login_locked_out"
# Not a login audit: it would keep every login's address forever.
AXES_DISABLE_ACCESS_LOG = True

# Content-Security-Policy (django-csp): only this site's own files; no inline script or style,
# no eval, no frames, no plugins. Swagger UI's stylesheet draws its icons as data: images.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "object-src": ["'none'"],
    }
}
# No page uses a device, sensor or payment API; none may be started from here or a frame.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}

# Webhook bodies are stored whole; platforms send at most a few MB. A larger body (except the
# files of a multipart upload) is answered 413 (omnioms.api.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = 20 * 1024 * 1024

# A person's receipt, adjustment, count or transfer moving more units than this is recorded
# only once they confirm the figure (inventory/limits.py); 0 turns the check off.
OMNIOMS_STOCK_MOVEMENT_CEILING = int(os.environ.get("OMNIOMS_STOCK_MOVEMENT_CEILING", "100000"))
# Refused webhooks are counted per hour for the channel health page; older hours are purged.
OMNIOMS_WEBHOOK_REJECTION_DAYS = int(os.environ.get("OMNIOMS_WEBHOOK_REJECTION_DAYS", "14"))
# Days a finished order-list export file is kept for its owner to download (web.purge_exports).
OMNIOMS_EXPORT_KEEP_DAYS = int(os.environ.get("OMNIOMS_EXPORT_KEEP_DAYS", "7"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # On the loggers, not the handler: the line is changed once, for every handler.
    "filters": {"one_line_refusals": {"()": "omnioms.web.logs.OneLineRefusals"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "django.security.DisallowedHost": {"filters": ["one_line_refusals"]},
        "django.request": {"filters": ["one_line_refusals"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("OMNIOMS_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50


def tasks_config(kind: str, redis_url: str) -> dict[str, dict[str, object]]:
    """Where long jobs are queued (``omnioms.core.jobs``).

    ``database`` (the default): in the database, run by the job worker ``omnioms serve``
    starts (``omnioms manage db_worker`` on another machine sharing the PostgreSQL database).
    ``redis``: on Redis through RQ, run by ``omnioms manage rqworker`` on any number of
    machines.
    """
    if kind == "redis":
        return {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    if kind != "database":
        raise ValueError(f"OMNIOMS_TASKS must be database or redis, not {kind!r}")
    return {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


TASKS_KIND = os.environ.get("OMNIOMS_TASKS", "database")
REDIS_URL = os.environ.get("OMNIOMS_REDIS_URL", "redis://127.0.0.1:6379/0")
TASKS = tasks_config(TASKS_KIND, REDIS_URL)
RQ_QUEUES = {"default": {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 3600}}
if TASKS_KIND == "redis":
    INSTALLED_APPS.append("django_rq")
