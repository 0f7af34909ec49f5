"""The stock ledger and its balances, reservations, and what each channel may sell.

Quantities are integers, at most :data:`~omnioms.inventory.domain.STOCK_LIMIT` (a PostgreSQL
``integer``; SQLite would hold more, so the limit is checked, not left to the column).
``StockMovement`` is the append-only ledger; ``StockBalance`` holds one row per SKU and location
with on hand (the ledger's sum, updated in the same transaction), reserved and safety stock.
Database constraints back the rules that must never break.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.models import Location
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from omnioms.inventory.domain import STOCK_LIMIT

# Forms built from these models (the admin) refuse larger numbers on both databases alike:
# Django's own bound comes from the backend, and SQLite's is 2**63 - 1.
_WITHIN_LIMIT = [MaxValueValidator(STOCK_LIMIT)]


class StockBalance(models.Model):
    """On hand, reserved and safety stock of one SKU at one location.

    Changed only by ``inventory.ledger`` with conditional UPDATEs; available is
    ``on_hand - reserved - safety_stock`` and may be negative when safety stock is raised.
    """

    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="stock"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="stock"
    )
    on_hand = models.IntegerField(_("on hand"), default=0)
    reserved = models.IntegerField(_("reserved"), default=0)
    safety_stock = models.IntegerField(
        _("safety stock"),
        default=0,
        validators=_WITHIN_LIMIT,
        help_text=_("Kept back from every channel."),
    )
    reorder_point = models.IntegerField(
        _("reorder point"),
        default=0,
        validators=_WITHIN_LIMIT,
        help_text=_("An alert is raised when available falls below this."),
    )
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["sku", "location"], name="stock_balance_once"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_not_negative"),
            models.CheckConstraint(
                condition=Q(on_hand__lte=STOCK_LIMIT), name="stock_on_hand_within_limit"
            ),
            models.CheckConstraint(
                condition=Q(reserved__gte=0), name="stock_reserved_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_within_on_hand"
            ),
            models.CheckConstraint(
                condition=Q(safety_stock__gte=0), name="stock_safety_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(reorder_point__gte=0), name="stock_reorder_point_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["location", "sku"], name="stock_balance_location")]
        permissions = [("view_all_stock", "Can see the stock of every location")]
        verbose_name = _("stock balance")
        verbose_name_plural = _("stock balances")

    def __str__(self) -> str:
        return f"{self.sku_id}@{self.location_id}: {self.on_hand}/{self.reserved}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt")
    SALE = "sale", _("Store sale")
    SHIPMENT = "shipment", _("Shipment")
    RETURN = "return", _("Return")
    TRANSFER_OUT = "transfer_out", _("Transfer out")
    TRANSFER_IN = "transfer_in", _("Transfer in")
    COUNT = "count", _("Count correction")
    ADJUSTMENT = "adjustment", _("Adjustment")
    PRODUCTION_OUTPUT = "production_output", _("Production output")
    MATERIAL_ISSUE = "material_issue", _("Material issue")


class StockDocument(models.Model):
    """A receipt, count, adjustment or transfer: what one person's action moved, and why."""

    kind = models.CharField(_("kind"), max_length=30, choices=MovementKind.choices)
    reference = models.CharField(
        _("reference"), max_length=200, blank=True, help_text=_("Delivery note, PO number.")
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    actor_kind = models.CharField(_("actor type"), max_length=20)
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    ceiling = models.PositiveIntegerField(
        _("movement ceiling"),
        null=True,
        blank=True,
        help_text=_(
            "Units per movement above which the person had to confirm the figure, when this "
            "was recorded; empty for changes made by the system."
        ),
    )
    confirmed_by = models.CharField(
        _("confirmed above the ceiling by"),
        max_length=200,
        blank=True,
        help_text=_("Who confirmed a movement larger than the ceiling."),
    )
    confirmed_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("stock document")
        verbose_name_plural = _("stock documents")

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class StockMovement(models.Model):
    """One line of the append-only stock ledger. Never updated or deleted.

    ``on_hand_after`` is the balance right after this movement, read under the row's lock.
    """

    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MovementKind.choices)
    quantity = models.IntegerField(_("quantity"))
    on_hand_after = models.IntegerField(_("on hand after"))
    unit_cost = models.DecimalField(
        _("unit cost"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        null=True,
        blank=True,
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    document = models.ForeignKey(
        StockDocument,
        verbose_name=_("document"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
    )
    actor_kind = models.CharField(_("actor type"), max_length=20)
    actor_label = models.CharField(_("actor"), max_length=200)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(quantity=0), name="stock_movement_not_zero"),
            models.CheckConstraint(
                condition=Q(on_hand_after__gte=0), name="stock_movement_after_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["sku", "location", "-id"], name="stock_movement_pair"),
            models.Index(fields=["-at"], name="stock_movement_at"),
        ]
        permissions = [
            ("receive_stock", "Can record stock receipts"),
            ("adjust_stock", "Can adjust and count stock"),
            ("transfer_stock", "Can transfer stock between locations"),
        ]
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity:+d} {self.sku_id}@{self.location_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("the stock ledger is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ValueError("the stock ledger is append-only")


class ReservationState(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    CONSUMED = "consumed", _("Shipped or sold")
    UNBACKED = "unbacked", _("Left without stock on record")
    RETURNED = "returned", _("Returned")


class Reservation(models.Model):
    """What an order holds or has taken of one SKU at one location.

    Keyed on the order, not its lines, because lines are rewritten when a channel changes
    them; ``inventory.reservations.apply_orders`` brings these rows to what the order's
    current lines and status call for. ``unbacked`` counts units that left (a store sale, a
    shipment) when the ledger had none free: the shelf held more than the record.
    """

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="stock_reservations",
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(_("state"), max_length=20, choices=ReservationState.choices)
    quantity = models.IntegerField(_("quantity"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["order", "sku", "location", "state"], name="reservation_once"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="reservation_positive"),
        ]
        indexes = [
            models.Index(fields=["sku", "location", "state"], name="reservation_pair"),
        ]
        verbose_name = _("reservation")
        verbose_name_plural = _("reservations")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.state} {self.quantity} × {self.sku_id}@{self.location_id}"


class OrderStockStatus(models.TextChoices):
    NOT_TRACKED = "not_tracked", _("No stock to reserve")
    WAITING = "waiting", _("Waiting for payment")
    RESERVED = "reserved", _("Reserved")
    BACKORDER = "backorder", _("Backorder")
    SHIPPED = "shipped", _("Stock left")
    RELEASED = "released", _("Released")
    RETURNED = "returned", _("Returned to stock")


class OrderStock(models.Model):
    """Where an order stands with stock: one row per order that has lines."""

    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stock",
    )
    status = models.CharField(_("stock status"), max_length=20, choices=OrderStockStatus.choices)
    unmapped_lines = models.PositiveIntegerField(
        _("lines without a SKU"),
        default=0,
        help_text=_("Lines whose SKU is not in the catalogue reserve nothing until mapped."),
    )
    promise_date = models.DateField(
        _("promise date"),
        null=True,
        blank=True,
        help_text=_("When incoming stock or planned production covers a backorder."),
    )
    checked_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["status", "checked_at"], name="order_stock_status")]
        verbose_name = _("order stock status")
        verbose_name_plural = _("order stock statuses")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.status}"


class Shortage(models.Model):
    """What a backordered order is short of: the SKU, where it was wanted, how many, and what
    was available when it was tried (under the stock row's lock)."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.CASCADE, related_name="+"
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty when the order may be split: short across all its locations."),
    )
    wanted = models.PositiveIntegerField(_("wanted"))
    available = models.IntegerField(_("available"))
    created_at = models.DateTimeField(_("checked at"), default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["sku", "created_at"], name="shortage_sku")]
        verbose_name = _("shortage")
        verbose_name_plural = _("shortages")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.wanted} × {self.sku_id} ({self.available} available)"


class ReserveOn(models.TextChoices):
    CREATED = "created", _("When the order is created")
    PAID = "paid", _("When the order is paid")


class ChannelStockRule(models.Model):
    """How one channel account reserves, where its orders are fulfilled, what it may sell.

    An account without a rule reserves at payment, from its own location (or every active
    warehouse), and sells all that is available there.
    """

    account = models.OneToOneField(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        related_name="stock_rule",
    )
    reserve_on = models.CharField(
        _("reserve stock"), max_length=20, choices=ReserveOn.choices, default=ReserveOn.PAID
    )
    nearest_by_province = models.BooleanField(
        _("nearest first"),
        default=False,
        help_text=_("Try locations in the buyer's province before the priority order."),
    )
    split_allowed = models.BooleanField(
        _("split allowed"),
        default=False,
        help_text=_("An order may be fulfilled from several locations."),
    )
    buffer = models.PositiveIntegerField(
        _("buffer"),
        default=0,
        validators=_WITHIN_LIMIT,
        help_text=_("Units held back from this channel."),
    )
    share_percent = models.PositiveIntegerField(
        _("share (%)"), default=100, help_text=_("The share of what is available it may sell.")
    )
    cap = models.PositiveIntegerField(
        _("cap"),
        null=True,
        blank=True,
        validators=_WITHIN_LIMIT,
        help_text=_("At most this many per SKU; empty: no cap."),
    )
    push_enabled = models.BooleanField(
        _("push availability"),
        default=True,
        help_text=_("Send this channel what it may sell whenever the figure moves."),
    )
    tracks_from = models.DateTimeField(
        _("stock tracked from"),
        null=True,
        blank=True,
        help_text=_("Orders placed earlier (history imports) do not touch stock."),
    )
    locations: models.ManyToManyField[Location, RuleLocation] = models.ManyToManyField(
        Location, through="RuleLocation", verbose_name=_("locations"), related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(share_percent__lte=100), name="stock_rule_share_at_most_100"
            )
        ]
        verbose_name = _("channel stock rule")
        verbose_name_plural = _("channel stock rules")

    def __str__(self) -> str:
        return str(self.account)


class RuleLocation(models.Model):
    rule = models.ForeignKey(
        ChannelStockRule,
        verbose_name=_("channel stock rule"),
        on_delete=models.CASCADE,
        related_name="rule_locations",
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    priority = models.PositiveIntegerField(
        _("priority"), default=1, validators=_WITHIN_LIMIT, help_text=_("1 first.")
    )

    class Meta:
        ordering = ["priority", "location__code"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "location"], name="rule_location_once")
        ]
        verbose_name = _("allowed location")
        verbose_name_plural = _("allowed locations")

    def __str__(self) -> str:
        return f"{self.priority}: {self.location_id}"


class OutboxState(models.TextChoices):
    PENDING = "pending", _("Queued")
    SENDING = "sending", _("Being sent")
    DONE = "done", _("Pushed")
    FAILED = "failed", _("Failed")


class AvailabilityOutbox(models.Model):
    """A channel's figure for a SKU may have moved: written in the transaction that moved it.

    ``changed_at`` is when the stock changed, ``queued_at`` when that transaction committed
    (the row became visible to the push step). The push step sends the figure as it is when
    it sends, so several rows for one SKU become one push.
    """

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+"
    )
    changed_at = models.DateTimeField(_("stock changed at"))
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=20, choices=OutboxState.choices, default=OutboxState.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    pushed_at = models.DateTimeField(_("pushed at"), null=True, blank=True)
    pushed_quantity = models.IntegerField(_("pushed quantity"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "next_attempt_at", "id"], name="availability_due"),
            models.Index(fields=["account", "sku", "-id"], name="availability_account_sku"),
        ]
        verbose_name = _("availability push")
        verbose_name_plural = _("availability pushes")

    def __str__(self) -> str:
        return f"{self.account_id}/{self.sku_id} {self.state}"


class ChannelAvailability(models.Model):
    """What a channel was last told it may sell of a SKU."""

    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("channel account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.CASCADE, related_name="+"
    )
    quantity = models.IntegerField(_("quantity"))
    pushed_at = models.DateTimeField(_("pushed at"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "sku"], name="channel_availability_once")
        ]
        verbose_name = _("pushed availability")
        verbose_name_plural = _("pushed availability")

    def __str__(self) -> str:
        return f"{self.account_id}/{self.sku_id}: {self.quantity}"


class SupplyStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class IncomingStock(models.Model):
    """Stock on its way: a purchase order or delivery with the date it is expected."""

    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=_WITHIN_LIMIT)
    received_quantity = models.PositiveIntegerField(
        _("received"), default=0, validators=_WITHIN_LIMIT
    )
    expected_on = models.DateField(_("expected on"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    supplier = models.CharField(_("supplier"), max_length=200, blank=True)
    unit_cost = models.DecimalField(
        _("unit cost"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        null=True,
        blank=True,
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=20, choices=SupplyStatus.choices, default=SupplyStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="incoming_positive")
        ]
        indexes = [models.Index(fields=["sku", "status", "expected_on"], name="incoming_sku")]
        verbose_name = _("incoming stock")
        verbose_name_plural = _("incoming stock")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id} on {self.expected_on}"

    @property
    def outstanding(self) -> int:
        return max(0, self.quantity - self.received_quantity)


class PlannedOutput(models.Model):
    """Production planned to finish on a date; the planning issue writes these."""

    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=_WITHIN_LIMIT)
    due_on = models.DateField(_("due on"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=SupplyStatus.choices, default=SupplyStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="planned_output_positive")
        ]
        indexes = [models.Index(fields=["sku", "status", "due_on"], name="planned_output_sku")]
        verbose_name = _("planned output")
        verbose_name_plural = _("planned output")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id} due {self.due_on}"
