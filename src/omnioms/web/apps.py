from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "omnioms.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from omnioms.web import exports  # noqa: F401 (registers the export job kind)
