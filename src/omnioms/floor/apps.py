from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloorConfig(AppConfig):
    """The shop floor: reports, material, the daily close, exceptions, T-3 and the KPIs."""

    name = "omnioms.floor"
    label = "floor"
    verbose_name = _("Shop floor")

    def ready(self) -> None:
        from omnioms.floor import jobs  # noqa: F401  (registers the job kinds and steps)
