"""Back office for orders: read-only but for adding a note.

Channels own an order's fields and ``change_order_status`` owns its status, and every change
writes an event; a form that saved the row would bypass both and could overwrite a newer
channel update with what the page loaded. So this admin never saves an order: the one
thing it writes is a note, through ``add_order_note``.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from omnioms.core.actor import Actor
from omnioms.core.choices import Platform
from omnioms.core.money import Money

# The customers back office, scoped by the orders a user sees (see its docstring).
from omnioms.orders import customer_admin  # noqa: F401
from omnioms.orders.models import Order, OrderEvent, OrderLine
from omnioms.orders.selectors import visible_orders
from omnioms.orders.services import add_order_note


def money_text(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    try:
        return Money(Decimal(amount), currency).display(to_locale(get_language() or "en"))
    except (TypeError, ValueError):
        return f"{amount} {currency}"


def json_html(value: Any) -> SafeString:
    return format_html(
        '<pre style="white-space: pre-wrap">{}</pre>',
        json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True),
    )


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    fields = readonly_fields = (
        "position",
        "sku_code",
        "sku",
        "title",
        "quantity",
        "unit_price",
        "discount",
        "total",
        "is_gift",
        "refunded_quantity",
        "bundle_components",
    )
    ordering = ["position"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderLine]:
        return super().get_queryset(request).select_related("sku").prefetch_related("components")

    @admin.display(description=_("bundle components"))
    def bundle_components(self, obj: OrderLine) -> str:
        return ", ".join(str(part) for part in obj.components.all())


class OrderEventInline(ReadOnlyInline):
    model = OrderEvent
    fields = readonly_fields = ("at", "kind", "actor_kind", "actor_label", "actor_user", "details")
    ordering = ["at", "id"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[OrderEvent]:
        return super().get_queryset(request).select_related("actor_user")

    @admin.display(description=_("details"))
    def details(self, obj: OrderEvent) -> SafeString | str:
        return json_html(obj.data) if obj.data else ""


class OrderForm(forms.ModelForm):
    note = forms.CharField(
        label=_("Add a note"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept in the order's history with your name; the order itself is not changed."),
    )

    class Meta:
        model = Order
        fields: list[str] = []


class ChannelFilter(admin.SimpleListFilter):
    """The platforms we know, without a ``SELECT DISTINCT`` over every order."""

    title = _("channel")
    parameter_name = "channel"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Platform.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(channel=value) if value else queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    form = OrderForm
    list_display = [
        "external_id",
        "channel_label",
        "account",
        "status",
        "buyer_name",
        "total_amount",
        "placed_at",
    ]
    list_display_links = ["external_id"]
    list_filter = [ChannelFilter, "status", "account"]
    list_select_related = ["account"]
    search_fields = ["external_id", "buyer_name"]
    search_help_text = _("An external id, or the start of a buyer's name.")
    ordering = ["-placed_at", "-id"]
    show_full_result_count = False  # the table may hold millions of rows
    inlines = [OrderLineInline, OrderEventInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "account",
                    "channel",
                    "external_id",
                    "status",
                    "raw_status",
                    "location",
                    "customer",
                ]
            },
        ),
        (
            _("Times"),
            {"fields": ["placed_at", "paid_at", "source_updated_at", "ingested_at", "modified_at"]},
        ),
        (
            _("Buyer"),
            {
                "fields": [
                    "buyer_name",
                    "buyer_email",
                    "buyer_phone",
                    "channel_buyer_id",
                    "ship_to_text",
                ]
            },
        ),
        (
            _("Amounts"),
            {
                "fields": [
                    "currency",
                    "shipping",
                    "discount",
                    "tax",
                    "taxes_included",
                    "total",
                    "total_difference",
                ]
            },
        ),
        (_("Notes"), {"fields": ["notes_buyer", "notes_seller", "note"]}),
        (
            _("As last received"),
            {
                "fields": ["source_version", "content_hash", "normalized_text"],
                "classes": ["collapse"],
            },
        ),
    ]
    readonly_fields = [
        "account",
        "channel",
        "external_id",
        "status",
        "raw_status",
        "location",
        "customer",
        "placed_at",
        "paid_at",
        "source_updated_at",
        "ingested_at",
        "modified_at",
        "buyer_name",
        "buyer_email",
        "buyer_phone",
        "channel_buyer_id",
        "ship_to_text",
        "currency",
        "shipping",
        "discount",
        "tax",
        "taxes_included",
        "total",
        "total_difference",
        "notes_buyer",
        "notes_seller",
        "source_version",
        "content_hash",
        "normalized_text",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Order]:
        # The same visibility as the web UI and the API: a store's staff see its orders only.
        return visible_orders(request.user).order_by(*self.get_ordering(request))

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "note"]})
            for name, options in fieldsets
        ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Order], search_term: str
    ) -> tuple[QuerySet[Order], bool]:
        # Exact id or name prefix, as in the order list: each uses an index, where the
        # admin's default substring search would scan millions of rows.
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(Q(external_id=term) | Q(buyer_name__startswith=term)), False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # orders come from channels, imports and the order entry API

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an order and its history are kept; cancel it instead

    def save_model(self, request: HttpRequest, obj: Order, form: Any, change: bool) -> None:
        text = form.cleaned_data.get("note", "").strip()
        if change and text:
            add_order_note(obj.pk, text, actor=Actor.for_user(request.user))

    @admin.display(description=_("channel"), ordering="channel")
    def channel_label(self, obj: Order) -> str:
        return str(Platform(obj.channel).label) if obj.channel in Platform.values else obj.channel

    @admin.display(description=_("total"), ordering="total")
    def total_amount(self, obj: Order) -> str:
        return money_text(obj.total, obj.currency)

    @admin.display(description=_("ship to"))
    def ship_to_text(self, obj: Order) -> SafeString | str:
        return json_html(obj.ship_to) if obj.ship_to else "-"

    @admin.display(description=_("normalised order"))
    def normalized_text(self, obj: Order) -> SafeString:
        return json_html(obj.normalized)
