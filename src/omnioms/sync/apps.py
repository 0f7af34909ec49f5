from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    """Moving data between the channels and omnioms: webhooks, imports, pulls, reconciliation,
    replays and outbound commands, and the channel health and column-mapping pages."""

    name = "omnioms.sync"
    label = "sync"
    verbose_name = _("Channel sync")

    def ready(self) -> None:
        from omnioms.channels.models import ChannelAccount
        from omnioms.core.worker import register_step
        from omnioms.sync.webhooks import forget_webhook_accounts, process_received

        register_step("channels.intake", process_received, every=0.2)

        # Pulling from the platforms' APIs and sending back (pull.py, reconcile.py,
        # outbound.py); each claims its work, so several workers may run them.
        from omnioms.orders.effects import subscribe
        from omnioms.sync.outbound import queue_shipments, send_due

        # A shipment a person records is queued for the platform in the same transaction.
        subscribe("sync.outbound", queue_shipments)
        from omnioms.sync.pull import fetch_named_due, pull_due
        from omnioms.sync.reconcile import reconcile_due

        register_step("channels.pull", pull_due, every=5)
        register_step("channels.fetch_named", fetch_named_due, every=2)
        register_step("channels.reconcile", reconcile_due, every=30)
        register_step("channels.outbound", send_due, every=1)

        # Refused webhooks are counted per hour; old hours go (OMNIOMS_WEBHOOK_REJECTION_DAYS).
        from omnioms.sync.rejections import purge_old_rejections

        register_step("channels.purge_rejections", purge_old_rejections, every=3600)

        # This process sees a changed secret at once; other processes within a few seconds.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_webhook_accounts, sender=ChannelAccount, dispatch_uid=f"accounts-{signal}"
            )
