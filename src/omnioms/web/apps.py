from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "omnioms.web"
    label = "web"
    verbose_name = _("Web")

    def ready(self) -> None:
        from omnioms.core.worker import register_step
        from omnioms.web import exports  # registers the export job kind

        register_step("web.purge_exports", exports.purge_exports, every=3600.0)
