from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductionConfig(AppConfig):
    """Production master data: what is made, from what, on which machines, when they work."""

    name = "omnioms.production"
    label = "production"
    verbose_name = _("Production")
