from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "omnioms.inventory"
    label = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from omnioms.channels.models import ChannelAccount
        from omnioms.core.models import Location
        from omnioms.core.worker import register_step
        from omnioms.inventory.availability import purge_pushed, push_due
        from omnioms.inventory.backorders import retry_backorders
        from omnioms.inventory.models import ChannelStockRule, RuleLocation
        from omnioms.inventory.reservations import follow_order_changes
        from omnioms.inventory.rules import forget_rules
        from omnioms.orders.effects import STOCK_PRIORITY, subscribe

        # Every change to orders (a channel's report, a person's move) reserves, releases or
        # consumes stock in the same transaction.
        subscribe("inventory.stock", follow_order_changes, priority=STOCK_PRIORITY)

        register_step("inventory.push_availability", push_due, every=0.2)
        register_step("inventory.retry_backorders", retry_backorders, every=2.0)
        register_step("inventory.purge_pushed", purge_pushed, every=3600.0)

        # This process sees an edited rule at once; other processes within RULES_TTL.
        for model in (ChannelAccount, Location, ChannelStockRule, RuleLocation):
            for signal in (post_save, post_delete):
                signal.connect(
                    forget_rules,
                    sender=model,
                    dispatch_uid=f"inventory-rules-{model.__name__}-{signal}",
                )
