"""Customers, and the identities by which channels know them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerTier(models.TextChoices):
    STANDARD = "standard", _("Standard")
    IMPORTANT = "important", _("Important")
    KEY = "key", _("Key account")


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    tier = models.CharField(
        _("importance"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_customers",
        help_text=_("Set when this record was found to be the same person as another."),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"#{self.pk}"


class IdentityKind(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Phone")
    CHANNEL_BUYER = "channel_buyer", _("Channel buyer id")


class CustomerIdentity(models.Model):
    """A normalised e-mail, phone or per-platform buyer id that points at one customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=IdentityKind.choices)
    scope = models.CharField(
        _("scope"),
        max_length=30,
        blank=True,
        help_text=_("Platform code for channel buyer ids, else empty."),
    )
    value = models.CharField(_("value"), max_length=254)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "scope", "value"], name="identity_unique")
        ]
        verbose_name = _("customer identity")
        verbose_name_plural = _("customer identities")

    def __str__(self) -> str:
        return f"{self.kind}:{self.scope}:{self.value}"
