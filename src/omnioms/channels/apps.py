from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "omnioms.channels"
    label = "channels"
