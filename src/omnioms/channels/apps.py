from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "omnioms.channels"
    label = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from omnioms.channels.models import ChannelAccount
        from omnioms.channels.webhooks import forget_webhook_accounts, process_received
        from omnioms.core.worker import register_step

        register_step("channels.intake", process_received, every=0.2)

        # This process sees a changed secret at once; other processes within a few seconds.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_webhook_accounts, sender=ChannelAccount, dispatch_uid=f"accounts-{signal}"
            )
