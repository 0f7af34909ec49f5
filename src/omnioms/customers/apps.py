from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "omnioms.customers"
    label = "customers"
