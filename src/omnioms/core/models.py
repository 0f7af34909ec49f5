"""Shared master data every app stands on: locations, and what a staff user is bound to."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    STORE = "store", _("Store")


class Location(models.Model):
    """A warehouse or a store: where stock is held and orders are fulfilled or sold."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=LocationKind.choices)
    province = models.CharField(_("province"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StaffProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    store = models.ForeignKey(
        Location,
        verbose_name=_("store"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Store clerks see and change only the orders of this store."),
    )

    class Meta:
        # Not auth.change_user: in the admin that would let a manager make anyone a superuser.
        permissions = [
            ("manage_staff", "Can create staff users, deactivate them and reset their passwords")
        ]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)
