from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "omnioms.api"
    label = "api"
