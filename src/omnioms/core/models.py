"""Staff profiles: what a user is bound to beyond their Django groups."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    store = models.ForeignKey(
        "inventory.Location",
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Store clerks see and change only the orders of this store."),
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)
