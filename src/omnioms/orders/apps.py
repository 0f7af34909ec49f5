from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "omnioms.orders"
    label = "orders"
