from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "omnioms.catalog"
    label = "catalog"
