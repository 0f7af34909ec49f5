from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SimulationConfig(AppConfig):
    """The simulated year: scenarios, runs under omnioms and the baselines, their KPIs."""

    name = "omnioms.simulation"
    label = "simulation"
    verbose_name = _("Simulation")

    def ready(self) -> None:
        from omnioms.simulation import jobs  # noqa: F401  (registers the job kind)
