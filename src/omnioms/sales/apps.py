from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    """Selling by people: the store counter, inquiries and quotes, orders keyed in by staff."""

    name = "omnioms.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from omnioms.sales import flow_hooks

        flow_hooks.register()
