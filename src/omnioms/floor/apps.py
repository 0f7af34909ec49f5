from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FloorConfig(AppConfig):
    """The shop floor: reports, material, the daily close, exceptions, T-3 and the KPIs."""

    name = "omnioms.floor"
    label = "floor"
    verbose_name = _("Shop floor")

    def ready(self) -> None:
        from omnioms.core.worker import register_step
        from omnioms.floor import jobs  # noqa: F401  (registers the job kinds and steps)
        from omnioms.floor.commits import write_commit_dates
        from omnioms.floor.selectors import running_places
        from omnioms.floor.t3 import close_shipped, scan_t3
        from omnioms.orders.effects import subscribe
        from omnioms.planning.adapter import register_running_places

        # Before stock, which runs last: available-to-promise is asked before the order's own
        # reservation, i.e. whether the stock there covers it.
        subscribe("floor.commit_dates", write_commit_dates, priority=700)
        subscribe("floor.t3_shipped", close_shipped, priority=600)
        register_step("floor.t3", scan_t3, every=600.0)
        # A started operation is planned where it runs, not where the published plan put it.
        register_running_places(running_places)
