"""Production: refuses to start without a real secret key and host names."""

import os

from django.core.exceptions import ImproperlyConfigured

from omnioms.settings.base import *  # noqa: F403
from omnioms.settings.base import env_bool, env_list

SECRET_KEY = os.environ.get("OMNIOMS_SECRET_KEY", "")
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured("OMNIOMS_SECRET_KEY must be set to at least 50 random characters")
ALLOWED_HOSTS = env_list("OMNIOMS_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("OMNIOMS_ALLOWED_HOSTS must name the host names served")
DEBUG = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("OMNIOMS_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("OMNIOMS_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
