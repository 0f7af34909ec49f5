"""Orders: list with filters, read one with lines and events, record a shipment.

Posting an order is intake and lives in :mod:`omnioms.sync.api`, on this router.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema
from omnioms.core.actor import Actor
from omnioms.core.money import Money
from omnioms.orders.domain import ShipmentError, ShipmentLine, make_shipment
from omnioms.orders.flows import TransitionNotAllowed
from omnioms.orders.models import Order
from omnioms.orders.selectors import (
    EARLIEST_DAY,
    LATEST_DAY,
    BadCursor,
    OrderFilters,
    filter_orders,
    page_orders,
    visible_orders,
    within_order_days,
)
from omnioms.orders.services import ship_order

router = Router(tags=["orders"])

MAX_QUANTITY = 2_147_483_647
"""A quantity column is a PostgreSQL ``integer``; SQLite's would hold more."""


def _within_order_days(value: datetime) -> datetime:
    """A time the order list and the database can compute with (not 0001-01-01T00:00+08:00,
    whose UTC is in the year 0), or a 422 naming the field."""
    if not within_order_days(value):
        raise PydanticCustomError(
            "time_out_of_range",
            _("must be a time between %(earliest)s and %(latest)s (UTC)")
            % {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    return value


OrderTime = Annotated[datetime, AfterValidator(_within_order_days)]
"""A time the order list can filter by; checked before the offset rule every input has
(:class:`~omnioms.api.schemas.InputSchema`), so that the year 0 is told the order list's days."""


def _money(amount: Decimal, currency: str) -> str:
    return Money(amount, currency).text()


class ComponentOut(Schema):
    sku: str = Field(alias="sku_code")
    quantity: int


class LineOut(Schema):
    external_line_id: str
    sku: str = Field(alias="sku_code")
    catalog_sku: str | None = None
    title: str
    quantity: int
    unit_price: str
    discount: str
    total: str
    is_gift: bool
    refunded_quantity: int
    shipped_quantity: int
    returned_quantity: int
    components: list[ComponentOut]

    @staticmethod
    def resolve_catalog_sku(obj: Any) -> str | None:
        return obj.sku.code if obj.sku_id else None

    @staticmethod
    def resolve_components(obj: Any) -> list[Any]:
        return list(obj.components.all())

    @staticmethod
    def resolve_unit_price(obj: Any) -> str:
        return _money(obj.unit_price, obj.order.currency)

    @staticmethod
    def resolve_discount(obj: Any) -> str:
        return _money(obj.discount, obj.order.currency)

    @staticmethod
    def resolve_total(obj: Any) -> str:
        return _money(obj.total, obj.order.currency)


class EventOut(Schema):
    at: datetime
    kind: str
    actor: str = Field(alias="actor_label")
    data: dict[str, Any]


class OrderOut(Schema):
    id: int
    account: str
    channel: str
    external_id: str
    status: str
    stage: str = Field(description="Where the order is in its account's flow")
    flow_version: int | None = Field(None, alias="flow_version_id")
    conflict: dict[str, Any] | None = Field(
        None, description="What the channel reported against what staff did, until resolved"
    )
    raw_status: str
    currency: str
    created_at: datetime = Field(alias="placed_at")
    paid_at: datetime | None
    updated_at: datetime | None = Field(alias="source_updated_at")
    buyer_name: str
    customer_id: int | None
    shipping: str
    discount: str
    tax: str
    total: str
    total_difference: str

    @staticmethod
    def resolve_account(obj: Order) -> str:
        return obj.account.name

    @staticmethod
    def resolve_shipping(obj: Order) -> str:
        return _money(obj.shipping, obj.currency)

    @staticmethod
    def resolve_discount(obj: Order) -> str:
        return _money(obj.discount, obj.currency)

    @staticmethod
    def resolve_tax(obj: Order) -> str:
        return _money(obj.tax, obj.currency)

    @staticmethod
    def resolve_total(obj: Order) -> str:
        return _money(obj.total, obj.currency)

    @staticmethod
    def resolve_total_difference(obj: Order) -> str:
        return _money(obj.total_difference, obj.currency)


class CommitDateOut(Schema):
    committed_on: date = Field(description="The date in force: a new agreed date once there is one")
    original_on: date = Field(description="The date first committed when the order arrived")
    agreed_at: datetime | None = Field(description="When a new date was agreed, if one was")
    agreed_by: str


class OrderDetailOut(OrderOut):
    ship_to: dict[str, Any] | None
    notes_buyer: str
    notes_seller: str
    commit_date: CommitDateOut | None = Field(
        None, description="The delivery date committed to the customer (the shop floor's record)"
    )
    lines: list[LineOut]
    events: list[EventOut]

    @staticmethod
    def resolve_commit_date(obj: Order) -> Any:
        # The shop floor writes it for every order it is told of (``floor.commits``); read
        # through the reverse accessor of its one-to-one, so that orders imports nothing above.
        return getattr(obj, "commit_date", None)

    @staticmethod
    def resolve_lines(obj: Order) -> list[Any]:
        return list(obj.lines.select_related("sku", "order").prefetch_related("components"))

    @staticmethod
    def resolve_events(obj: Order) -> list[Any]:
        return list(obj.events.all())


class OrderPage(Schema):
    items: list[OrderOut]
    next_cursor: str | None
    previous_cursor: str | None


class OrderQuery(InputSchema):
    channel: str | None = None
    account: str | None = None
    status: str | None = None
    external_id: str | None = None
    created_from: OrderTime | None = None
    created_to: OrderTime | None = None
    q: str | None = None
    cursor: str | None = None
    limit: int = Field(50, ge=1, le=500)


@router.get(
    "",
    response={200: OrderPage, 400: ErrorOut},
    summary="Orders across every channel, newest first",
)
def list_orders(request: HttpRequest, q: Query[OrderQuery]) -> dict[str, Any] | Status:
    require_perm(request, "orders.view_order")
    orders = filter_orders(
        visible_orders(request.user).select_related("account"),
        OrderFilters(
            channel=q.channel,
            account=q.account,
            status=q.status,
            external_id=q.external_id,
            placed_from=q.created_from,
            placed_to=q.created_to,
            search=q.q,
        ),
    )
    try:
        page = page_orders(orders, cursor=q.cursor, size=q.limit)
    except BadCursor as exc:
        return Status(
            400, {"detail": f"cursor: {exc}", "errors": [{"field": "cursor", "message": str(exc)}]}
        )
    return {
        "items": page.items,
        "next_cursor": page.next_cursor,
        "previous_cursor": page.previous_cursor,
    }


@router.get("/{order_id}", response={200: OrderDetailOut, 404: ErrorOut})
def get_order(request: HttpRequest, order_id: int) -> Order:
    require_perm(request, "orders.view_order")
    return get_object_or_404(
        visible_orders(request.user).select_related("account", "commit_date"), pk=order_id
    )


# ----------------------------------------------------------------------------------------------
# Shipments: recorded here (``ship_order``), told to the platform by the outbound effect


class ShipmentLineIn(InputSchema):
    external_line_id: str
    quantity: int = Field(gt=0, le=MAX_QUANTITY)


class ShipmentIn(InputSchema):
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    lines: list[ShipmentLineIn] = Field(
        default_factory=list, description="Lines shipped; empty means the whole order."
    )
    shipped_at: OrderTime | None = None


class ShipmentOut(Schema):
    order_id: int
    status: str
    command_id: int | None = Field(
        None, description="The queued message to the platform; null when it has no API."
    )
    command_state: str | None = None


@router.post(
    "/{order_id}/shipments",
    response={201: ShipmentOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Record a shipment and send its tracking number to the platform",
)
def post_shipment(request: HttpRequest, order_id: int, data: ShipmentIn) -> Status:
    require_perm(request, "orders.change_order")
    order = get_object_or_404(visible_orders(request.user).only("pk"), pk=order_id)
    lines = [ShipmentLine(line.external_line_id, line.quantity) for line in data.lines]
    try:
        shipment = make_shipment(
            data.carrier,
            data.tracking_number,
            shipped_at=data.shipped_at or timezone.now(),
            lines=lines,
        )
        change = ship_order(order.pk, shipment, actor=Actor.for_user(request.user))
    except ShipmentError as exc:
        raise HttpError(400, str(exc)) from exc
    except TransitionNotAllowed as exc:
        raise HttpError(409, str(exc)) from exc
    command = change.results.get("outbound_command")
    return Status(
        201,
        {
            "order_id": order.pk,
            "status": change.order.status,
            "command_id": command.pk if command else None,
            "command_state": command.state if command else None,
        },
    )
