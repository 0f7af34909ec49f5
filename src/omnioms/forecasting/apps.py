from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    """Demand history, the event calendar, the sales input and forecast runs; the statistical
    engine beside them is pure (``engine``), so the command line runs it without a database."""

    name = "omnioms.forecasting"
    label = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        from omnioms.core.worker import register_step
        from omnioms.forecasting import jobs  # noqa: F401  (registers the job kind)
        from omnioms.forecasting.history import mark_changed_days, recount_due
        from omnioms.forecasting.rolling import start_due_run
        from omnioms.orders.effects import subscribe

        # Every change to orders marks its day; the step counts marked days again.
        subscribe("forecasting.demand", mark_changed_days, priority=500)
        register_step("forecasting.recount_demand", recount_due, every=5.0)
        # The rolling forecast: monthly re-forecast, weekly and daily refresh, as jobs.
        register_step("forecasting.rolling", start_due_run, every=60.0)
