"""Products, their SKUs, bundles and how each channel names a SKU."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES


class Product(models.Model):
    code = models.CharField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self) -> str:
        return self.name


class Sku(models.Model):
    """A sellable, stockable variant. A SKU with components is a bundle (kit)."""

    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="skus"
    )
    code = models.CharField(_("SKU"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    unit_cost = models.DecimalField(
        _("unit cost"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        null=True,
        blank=True,
    )
    price = models.DecimalField(
        _("price"), max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("SKU")
        verbose_name_plural = _("SKUs")

    def __str__(self) -> str:
        return self.code


class BundleComponent(models.Model):
    bundle = models.ForeignKey(
        Sku, verbose_name=_("bundle"), on_delete=models.CASCADE, related_name="components"
    )
    component = models.ForeignKey(
        Sku, verbose_name=_("component"), on_delete=models.PROTECT, related_name="used_in_bundles"
    )
    quantity = models.PositiveIntegerField(_("quantity per bundle"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundle_component_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0), name="bundle_component_quantity_positive"
            ),
            models.CheckConstraint(
                condition=~models.Q(bundle=models.F("component")), name="bundle_not_own_component"
            ),
        ]
        verbose_name = _("bundle component")
        verbose_name_plural = _("bundle components")

    def __str__(self) -> str:
        return f"{self.bundle_id} ⊃ {self.quantity} × {self.component_id}"


class ChannelSkuMapping(models.Model):
    """How one channel account names a SKU, when its code differs from ours."""

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        related_name="sku_mappings",
    )
    external_sku = models.CharField(_("channel SKU"), max_length=200)
    sku = models.ForeignKey(
        Sku, verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="channel_mappings"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_sku"], name="channel_sku_mapping_unique"
            )
        ]
        verbose_name = _("channel SKU mapping")
        verbose_name_plural = _("channel SKU mappings")

    def __str__(self) -> str:
        return f"{self.external_sku} → {self.sku_id}"
