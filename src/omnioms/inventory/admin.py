"""Back office for stock: locations, channel stock rules, supply; the ledger read-only.

Quantities change only through the services (receipts, counts, transfers, orders), so the
admin shows balances and the ledger but never edits on hand or reserved; safety stock and the
reorder point are edited here and saved through ``set_stock_levels``.

Every page is scoped like the stock pages and ``OrderAdmin`` rather than closed to a store
clerk: a store clerk's staff account sees the rows of their store's location (balances, the
ledger, supply) and the order-level rows (reservations, order stock, shortages) of the orders
they may see, and a ledger row at their store taken by an order they may not see is shown
without that order, as on the stock pages (see ``selectors.OrderRef``). One rule in both
places keeps the admin from being a way around it, and keeps working for any user whose
permissions are set by hand.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Exists, F, OuterRef, QuerySet, Value
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from omnioms.inventory.availability import queue_account_availability
from omnioms.inventory.models import (
    AvailabilityOutbox,
    ChannelAvailability,
    ChannelStockRule,
    IncomingStock,
    OrderStock,
    PlannedOutput,
    Reservation,
    RuleLocation,
    Shortage,
    StockBalance,
    StockDocument,
    StockMovement,
)
from omnioms.inventory.rules import forget_rules
from omnioms.inventory.selectors import WebUser, stock_scope
from omnioms.inventory.services import set_stock_levels
from omnioms.orders.selectors import visible_orders


def _sees_all_stock(user: WebUser) -> bool:
    return user.has_perm("inventory.view_all_stock")


def _sees_all_orders(user: WebUser) -> bool:
    return user.has_perm("orders.view_order") and user.has_perm("orders.view_all_orders")


def at_visible_locations(request: HttpRequest, rows: QuerySet[Any]) -> QuerySet[Any]:
    """Rows with a ``location`` at the locations whose stock the user sees."""
    if _sees_all_stock(request.user):
        return rows
    return rows.filter(location__in=stock_scope(request.user))


def of_visible_orders(request: HttpRequest, rows: QuerySet[Any]) -> QuerySet[Any]:
    """Rows with an ``order`` of the orders the user sees (``visible_orders``)."""
    if _sees_all_orders(request.user):
        return rows
    return rows.filter(order__in=visible_orders(request.user))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by the services: shown, never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(StockBalance)
class StockBalanceAdmin(admin.ModelAdmin):
    list_display = [
        "sku",
        "location",
        "on_hand",
        "reserved",
        "safety_stock",
        "available_display",
        "reorder_point",
        "updated_at",
    ]
    list_filter = ["location"]
    list_select_related = ["sku", "location"]
    search_fields = ["sku__code", "sku__name"]
    fields = ["sku", "location", "on_hand", "reserved", "safety_stock", "reorder_point"]
    readonly_fields = ["sku", "location", "on_hand", "reserved"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockBalance]:
        return at_visible_locations(request, super().get_queryset(request))

    @admin.display(description=_("available"), ordering=F("on_hand") - F("reserved"))
    def available_display(self, obj: StockBalance) -> int:
        return obj.available

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # stock arrives by a receipt

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StockBalance, form: Any, change: bool) -> None:
        set_stock_levels(
            sku=obj.sku,
            location=obj.location,
            safety_stock=obj.safety_stock,
            reorder_point=obj.reorder_point,
        )


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = [
        "at",
        "sku",
        "location",
        "kind",
        "quantity",
        "on_hand_after",
        "order_shown",
        "actor_label",
    ]
    list_filter = ["kind", "location"]
    list_select_related = ["sku", "location", "order"]
    search_fields = ["sku__code", "reason", "order__external_id"]
    date_hierarchy = "at"
    raw_id_fields = ["document"]
    # The order only through order_shown, which names it only if the user may see it.
    fields = [
        "at",
        "sku",
        "location",
        "kind",
        "quantity",
        "on_hand_after",
        "unit_cost",
        "currency",
        "reason",
        "order_shown",
        "document",
        "actor_kind",
        "actor_label",
        "actor_user",
    ]
    readonly_fields = ["order_shown"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockMovement]:
        rows = at_visible_locations(request, super().get_queryset(request))
        if _sees_all_orders(request.user):
            return rows.annotate(order_visible=Value(True))
        mine = visible_orders(request.user).filter(pk=OuterRef("order_id"))
        return rows.annotate(order_visible=Exists(mine))

    def get_search_fields(self, request: HttpRequest) -> Any:
        fields = super().get_search_fields(request)
        if _sees_all_orders(request.user):
            return fields
        # Finding a row by the id of an order one may not see would tell that it exists.
        return [field for field in fields if not field.startswith("order__")]

    @admin.display(description=_("order"), ordering="order")
    def order_shown(self, obj: StockMovement) -> SafeString | str:
        if obj.order_id is None:
            return "-"
        if getattr(obj, "order_visible", False):
            url = reverse("admin:orders_order_change", args=[obj.order_id])
            return format_html('<a href="{}">{}</a>', url, obj.order)
        return gettext("Order of another store or channel")


@admin.register(StockDocument)
class StockDocumentAdmin(ReadOnlyAdmin):
    list_display = ["pk", "at", "kind", "reference", "reason", "actor_label", "confirmed_by"]
    list_filter = ["kind"]
    search_fields = ["reference", "reason"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[StockDocument]:
        rows = super().get_queryset(request)
        if _sees_all_stock(request.user):
            return rows
        # A document has no location of its own: its movements have.
        here = StockMovement.objects.filter(location__in=stock_scope(request.user))
        return rows.filter(pk__in=here.values("document_id"))


@admin.register(Reservation)
class ReservationAdmin(ReadOnlyAdmin):
    list_display = ["order", "sku", "location", "state", "quantity", "updated_at"]
    list_filter = ["state", "location"]
    list_select_related = ["order", "sku", "location"]
    search_fields = ["order__external_id", "sku__code"]
    raw_id_fields = ["order"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Reservation]:
        return of_visible_orders(request, super().get_queryset(request))


@admin.register(OrderStock)
class OrderStockAdmin(ReadOnlyAdmin):
    list_display = ["order", "status", "unmapped_lines", "promise_date", "checked_at"]
    list_filter = ["status"]
    list_select_related = ["order"]
    search_fields = ["order__external_id"]
    raw_id_fields = ["order"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderStock]:
        return of_visible_orders(request, super().get_queryset(request))


@admin.register(Shortage)
class ShortageAdmin(ReadOnlyAdmin):
    list_display = ["order", "sku", "location", "wanted", "available", "created_at"]
    list_select_related = ["order", "sku", "location"]
    search_fields = ["order__external_id", "sku__code"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Shortage]:
        return of_visible_orders(request, super().get_queryset(request))


class RuleLocationInline(admin.TabularInline):
    model = RuleLocation
    fields = ["location", "priority"]
    extra = 1


@admin.register(ChannelStockRule)
class ChannelStockRuleAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "reserve_on",
        "split_allowed",
        "nearest_by_province",
        "buffer",
        "share_percent",
        "cap",
        "push_enabled",
    ]
    inlines = [RuleLocationInline]
    fieldsets = [
        (None, {"fields": ["account", "reserve_on", "tracks_from"]}),
        (_("Routing"), {"fields": ["nearest_by_province", "split_allowed"]}),
        (
            _("What the channel may sell"),
            {"fields": ["buffer", "share_percent", "cap", "push_enabled"]},
        ),
    ]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The figure of every SKU at the account's locations may have moved.
        forget_rules()
        queue_account_availability(form.instance.account_id)


@admin.register(AvailabilityOutbox)
class AvailabilityOutboxAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "account",
        "sku",
        "state",
        "changed_at",
        "queued_at",
        "pushed_at",
        "pushed_quantity",
        "attempts",
    ]
    list_filter = ["state", "account"]
    list_select_related = ["account", "sku"]
    search_fields = ["sku__code", "last_error"]


@admin.register(ChannelAvailability)
class ChannelAvailabilityAdmin(ReadOnlyAdmin):
    list_display = ["account", "sku", "quantity", "pushed_at"]
    list_filter = ["account"]
    list_select_related = ["account", "sku"]
    search_fields = ["sku__code"]


class SupplyAdmin(admin.ModelAdmin):
    list_filter = ["status", "location"]
    search_fields = ["sku__code", "reference"]
    raw_id_fields = ["sku"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request).select_related("sku", "location")
        return at_visible_locations(request, rows)


@admin.register(IncomingStock)
class IncomingStockAdmin(SupplyAdmin):
    list_display = [
        "sku",
        "location",
        "quantity",
        "received_quantity",
        "expected_on",
        "supplier",
        "reference",
        "status",
    ]
    date_hierarchy = "expected_on"


@admin.register(PlannedOutput)
class PlannedOutputAdmin(SupplyAdmin):
    list_display = ["sku", "location", "quantity", "due_on", "reference", "status"]
    date_hierarchy = "due_on"
