from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FlowsConfig(AppConfig):
    """Each channel account's flow as data (stages, the channel's moves it follows, the actions
    people take with their guards, fields and effects), the action service, the flow editor."""

    name = "omnioms.flows"
    label = "flows"
    verbose_name = _("Flows")

    def ready(self) -> None:
        from omnioms.flows import effects  # noqa: F401  (registers the default effects)
        from omnioms.flows.policy import FlowStagePolicy
        from omnioms.flows.services import run_action_effects
        from omnioms.orders.effects import subscribe
        from omnioms.orders.stages import use_policy

        # Where an order stands in its flow follows every change the one status path makes.
        use_policy(FlowStagePolicy())
        # An action's own effects (invoice, notice, write-back) run before stock (last).
        subscribe("flows.actions", run_action_effects, priority=50)
