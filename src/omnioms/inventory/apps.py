from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "omnioms.inventory"
    label = "inventory"
