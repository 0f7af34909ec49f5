from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlanningConfig(AppConfig):
    """Net requirements, production orders and schedules; the engines beside them are pure."""

    name = "omnioms.planning"
    label = "planning"
    verbose_name = _("Planning")

    def ready(self) -> None:
        from omnioms.planning import jobs  # noqa: F401  (registers the job kinds)
