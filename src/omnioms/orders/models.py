"""The unified order: one row per (channel account, external id), whatever the channel."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import OrderStatus
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES


def amount_field(verbose_name: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0
    )


class Order(models.Model):
    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.PROTECT,
        related_name="orders",
        db_index=False,  # order_unique_per_account and order_account_placed lead with it
    )
    channel = models.CharField(_("channel"), max_length=30)
    """The account's platform code, copied so the order list filters without a join."""
    external_id = models.CharField(_("external id"), max_length=100)
    status = models.CharField(_("status"), max_length=30, choices=OrderStatus.choices)
    stage = models.CharField(
        _("stage"),
        max_length=50,
        blank=True,
        help_text=_("Where the order is in its flow; its status is the one the stage stands for."),
    )
    flow_version = models.ForeignKey(
        "flows.FlowVersion",
        verbose_name=_("flow version"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        help_text=_("The version of its account's flow the order runs under."),
    )
    conflict = models.JSONField(
        _("conflict with the channel"),
        null=True,
        blank=True,
        help_text=_(
            "What the channel reported that contradicts what staff did; open until a person "
            "resolves it."
        ),
    )
    raw_status = models.CharField(_("channel status"), max_length=100, blank=True)
    channel_status = models.CharField(
        _("status the channel reported"),
        max_length=30,
        choices=OrderStatus.choices,
        blank=True,
        help_text=_(
            "The unified status of the channel's last version; differs from the status when "
            "someone in omnioms moved the order on since."
        ),
    )
    currency = models.CharField(_("currency"), max_length=3)
    placed_at = models.DateTimeField(_("placed at"))
    """The channel's order time; the time omnioms received it when the channel sends none."""
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    source_updated_at = models.DateTimeField(_("updated on channel"), null=True, blank=True)
    source_version = models.BigIntegerField(_("source version"), null=True, blank=True)
    normalized = models.JSONField(_("normalised order"), default=dict)
    """The normalised order this row was last written from (``contracts.md`` shape)."""
    content_hash = models.CharField(_("content hash"), max_length=64)
    """sha256 of ``normalized``: tells a repeat from a change, and breaks ties."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,  # order_customer_placed leads with it
    )
    buyer_name = models.CharField(_("buyer"), max_length=200, blank=True)
    buyer_email = models.CharField(_("buyer e-mail"), max_length=254, blank=True)
    buyer_phone = models.CharField(_("buyer phone"), max_length=50, blank=True)
    channel_buyer_id = models.CharField(_("channel buyer id"), max_length=200, blank=True)
    ship_to = models.JSONField(_("ship to"), null=True, blank=True)

    shipping = amount_field(_("shipping"))
    discount = amount_field(_("discount"))
    tax = amount_field(_("tax"))
    taxes_included = models.BooleanField(_("prices include tax"), default=False)
    total = amount_field(_("total"))
    total_difference = amount_field(_("difference to computed total"))
    """The channel's total minus what lines, shipping, tax and discounts add up to."""

    notes_buyer = models.TextField(_("buyer note"), blank=True)
    notes_seller = models.TextField(_("seller note"), blank=True)
    location = models.ForeignKey(
        "core.Location",
        verbose_name=_("store or warehouse"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="orders",
        db_index=False,  # order_location_placed leads with it
    )
    ingested_at = models.DateTimeField(_("received at"), default=timezone.now)
    modified_at = models.DateTimeField(_("changed at"), default=timezone.now)
    version_received_at = models.DateTimeField(
        _("version received at"),
        null=True,
        blank=True,
        help_text=_(
            "When omnioms received the version the order holds: ranks versions that carry no "
            "update time of their own."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "external_id"], name="order_unique_per_account"
            )
        ]
        indexes = [
            models.Index(fields=["-placed_at", "-id"], name="order_placed"),
            models.Index(fields=["account", "-placed_at", "-id"], name="order_account_placed"),
            models.Index(fields=["channel", "-placed_at", "-id"], name="order_channel_placed"),
            models.Index(fields=["status", "-placed_at", "-id"], name="order_status_placed"),
            models.Index(fields=["location", "-placed_at", "-id"], name="order_location_placed"),
            models.Index(fields=["external_id"], name="order_external_id"),
            # Exact-match search keys. The buyer-name prefix index differs per database
            # (varchar_pattern_ops / COLLATE NOCASE) and is created by migration 0002.
            models.Index(fields=["channel_buyer_id"], name="order_channel_buyer_id"),
            models.Index(fields=["buyer_email"], name="order_buyer_email"),
            models.Index(fields=["buyer_phone"], name="order_buyer_phone"),
            models.Index(fields=["customer", "-placed_at"], name="order_customer_placed"),
        ]
        permissions = [
            ("view_all_orders", "Can see orders of every store and channel"),
            ("import_orders", "Can import order files"),
            # Apart from change_order, which moves an order's status and ships it.
            ("add_order_note", "Can add a note to an order's timeline"),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id}"


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,  # order_line_position leads with it
    )
    position = models.PositiveIntegerField(_("position"))
    external_line_id = models.CharField(_("line id"), max_length=100, blank=True)
    sku_code = models.CharField(
        _("SKU as sent"),
        max_length=200,
        blank=True,
        help_text=_("Empty when the channel sent none."),
    )
    sku = models.ForeignKey(
        "catalog.Sku",
        verbose_name=_("SKU"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order_lines",
    )
    title = models.CharField(_("title"), max_length=500, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = amount_field(_("unit price"))
    discount = amount_field(_("discount"))
    total = amount_field(_("line total"))
    is_gift = models.BooleanField(_("gift"), default=False)
    refunded_quantity = models.PositiveIntegerField(_("refunded"), default=0)
    shipped_quantity = models.PositiveIntegerField(_("shipped"), default=0)
    """Units staff recorded as shipped (partial shipments add up); kept when the channel
    rewrites the lines."""
    returned_quantity = models.PositiveIntegerField(_("returned"), default=0)
    """Units that came back and were inspected into stock or quarantine."""

    class Meta:
        ordering = ["order", "position"]
        constraints = [
            models.UniqueConstraint(fields=["order", "position"], name="order_line_position"),
            models.CheckConstraint(
                condition=models.Q(refunded_quantity__lte=models.F("quantity")),
                name="order_line_refund_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(shipped_quantity__lte=models.F("quantity")),
                name="order_line_shipped_within_quantity",
            ),
            models.CheckConstraint(
                condition=models.Q(returned_quantity__lte=models.F("quantity")),
                name="order_line_returned_within_quantity",
            ),
        ]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_code or self.title}"


class OrderLineComponent(models.Model):
    """A part of a bundle line, per bundle: the line's quantity times this is what ships."""

    line = models.ForeignKey(
        OrderLine,
        verbose_name=_("order line"),
        on_delete=models.CASCADE,
        related_name="components",
    )
    sku_code = models.CharField(_("SKU as sent"), max_length=200)
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.SET_NULL, null=True, blank=True
    )
    quantity = models.PositiveIntegerField(_("quantity per bundle"))

    class Meta:
        verbose_name = _("order line component")
        verbose_name_plural = _("order line components")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_code}"


class OrderEventKind(models.TextChoices):
    CREATED = "created", _("Order received")
    UPDATED = "updated", _("Order updated by the channel")
    STATUS_CHANGED = "status_changed", _("Status changed")
    STALE_IGNORED = "stale_ignored", _("Older version ignored")
    NOTE = "note", _("Note")
    ACTION = "action", _("Action taken")
    STAGE_FOLLOWED = "stage_followed", _("Stage followed the channel")
    CONFLICT = "conflict", _("Conflict with the channel")
    FLOW_CHANGED = "flow_changed", _("Moved to a new version of its flow")


class OrderEvent(models.Model):
    """One change to an order: who or what, when, what changed. Written in the same transaction."""

    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,  # order_event_timeline leads with it
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    kind = models.CharField(_("event"), max_length=30, choices=OrderEventKind.choices)
    actor_kind = models.CharField(_("actor type"), max_length=20)
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    data = models.JSONField(_("details"), default=dict, blank=True)
    """``changes`` ({field: [old, new]}), ``from``/``to`` statuses, ``payload`` id, ``text``."""

    class Meta:
        ordering = ["order", "at", "id"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_timeline")]
        verbose_name = _("order event")
        verbose_name_plural = _("order events")

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"
