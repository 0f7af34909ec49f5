"""Customers, and the identities by which channels know them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CustomerTier(models.TextChoices):
    """A/B/C: how much the customer matters when production must choose (planning's priority)."""

    STANDARD = "standard", _("C: standard")
    IMPORTANT = "important", _("B: important")
    KEY = "key", _("A: key account")


class SuggestedTier(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class Customer(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    tier = models.CharField(
        _("importance"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    tier_by_hand = models.BooleanField(
        _("tier set by hand"),
        default=False,
        help_text=_("Otherwise the tier follows the suggestion from revenue and order frequency."),
    )
    suggested_tier = models.CharField(
        _("suggested tier"), max_length=1, choices=SuggestedTier.choices, blank=True
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
