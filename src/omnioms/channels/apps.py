from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    """What a channel is: accounts, raw payloads, the normalised-order contract, the adapters
    that read each platform's payloads and the clients that call each platform's API.

    The work that moves data between the channels and omnioms (intake, pulls, outbound
    commands, health) is the ``sync`` app, one layer up.
    """

    name = "omnioms.channels"
    label = "channels"
    verbose_name = _("Channels")
