from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    """API access, shared by every app's ``api.py``: bearer tokens, authentication, permission
    checks and the error shape. The root that mounts the routers is ``omnioms.api_v1``."""

    name = "omnioms.api"
    label = "api"
    verbose_name = _("API")
