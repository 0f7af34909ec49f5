from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    """Customer service: conversations from every source, tickets, SLAs, search."""

    name = "omnioms.service"
    label = "service"
    verbose_name = _("Customer service")

    def ready(self) -> None:
        from omnioms.core.worker import register_step
        from omnioms.orders.effects import subscribe
        from omnioms.service import intake, media, outbox, sla
        from omnioms.service.search import index_order_changes

        # Searching orders by phone, tracking number or SKU reads entries kept in step with
        # every change to an order, in the change's transaction.
        subscribe("service.search", index_order_changes, priority=500)
        register_step("service.intake", intake.process_received, every=0.5)
        register_step("service.poll_mailboxes", intake.poll_due, every=30)
        register_step("service.send", outbox.send_due, every=1)
        register_step("service.fetch_media", media.fetch_due, every=5)
        register_step("service.check_sla", sla.check_due, every=60)
