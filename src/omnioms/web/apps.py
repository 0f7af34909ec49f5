from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "omnioms.web"
    label = "web"
