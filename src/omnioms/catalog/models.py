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


class ProductFamily(models.Model):
    """A group of SKUs the sales team forecasts together and whose changeovers cost the same
    setup (a fabric, a colour range)."""

    code = models.CharField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["code"]
        verbose_name = _("product family")
        verbose_name_plural = _("product families")

    def __str__(self) -> str:
        return self.name


class SkuKind(models.TextChoices):
    MADE = "made", _("Made here")
    BOUGHT = "bought", _("Bought material")
    RESOLD = "resold", _("Bought and resold")


MAX_UNIT_DECIMALS = 3


class Sku(models.Model):
    """A sellable, stockable variant. A SKU with components is a bundle (kit).

    Stock of a SKU is counted in its ``unit`` with ``unit_decimals`` places: the ledger holds
    integers of the smallest step (fabric in metres with 2 places is held as centimetres), so
    it stays exact (``docs/production.md``).
    """

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
    kind = models.CharField(
        _("kind"), max_length=10, choices=SkuKind.choices, default=SkuKind.RESOLD
    )
    unit = models.CharField(
        _("stock unit"), max_length=20, default="pcs", help_text=_("pcs, m, kg, roll, ...")
    )
    unit_decimals = models.PositiveSmallIntegerField(
        _("decimal places of the unit"),
        default=0,
        help_text=_("2 for metres counted to the centimetre; stock is kept in that step."),
    )
    family = models.ForeignKey(
        ProductFamily,
        verbose_name=_("product family"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="skus",
    )
    standard_cost = models.DecimalField(
        _("standard cost"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        null=True,
        blank=True,
        help_text=_("Materials from the BOM and work from the routing, per unit; rolled up."),
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(unit_decimals__lte=MAX_UNIT_DECIMALS),
                name="sku_unit_decimals_at_most_3",
            )
        ]
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
