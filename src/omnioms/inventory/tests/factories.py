"""Stock test data made through the real use cases: SKUs, receipts, orders through intake."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from omnioms.catalog.models import Sku
from omnioms.catalog.services import ComponentSpec, create_product
from omnioms.channels.clients.registry import has_client
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.models import OrderStock, Reservation
from omnioms.inventory.services import receive_stock
from omnioms.orders.models import Order
from omnioms.sync.services import submit_order

ACTOR = Actor.system("tests")
BASE = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def warehouse(code: str = "wh-1", province: str = "浙江省") -> Location:
    return Location.objects.get_or_create(
        code=code, defaults={"name": code, "kind": LocationKind.WAREHOUSE, "province": province}
    )[0]


def store(code: str = "store-1", province: str = "上海市") -> Location:
    return Location.objects.get_or_create(
        code=code, defaults={"name": code, "kind": LocationKind.STORE, "province": province}
    )[0]


def sku(code: str, *, components: list[tuple[str, int]] | None = None, cost: str = "10") -> Sku:
    found = Sku.objects.filter(code=code).first()
    if found is not None:
        return found
    return create_product(
        sku=code,
        name=code,
        unit_cost=Decimal(cost),
        components=[ComponentSpec(c, q) for c, q in components or []],
    )


def receive(item: Sku | str, location: Location, quantity: int) -> None:
    receive_stock(
        sku=item if isinstance(item, Sku) else sku(item),
        location=location,
        quantity=quantity,
        unit_cost=Decimal("10.00"),
        actor=ACTOR,
    )


UNREACHABLE_API = {"base_url": "http://127.0.0.1:9", "token": "tests"}
"""Credentials of a platform API nobody answers: the account is connected, so its figures are
queued, and a test that pushes gives it a fake platform's credentials instead."""


def account(
    name: str = "",
    *,
    platform: str = "manual",
    location: Location | None = None,
    connected: bool = True,
) -> ChannelAccount:
    """An account; one of a platform with an API is connected to it unless ``connected`` is
    false (no credentials: nothing is queued or pushed for it)."""
    return ChannelAccount.objects.create(
        name=name or f"acct-{next(_numbers)}",
        platform=platform,
        location=location,
        api_credentials=dict(UNREACHABLE_API) if connected and has_client(platform) else {},
    )


def order_json(
    external_id: str = "",
    lines: Sequence[Any] | None = None,
    *,
    status: str = "paid",
    minute: int | None = None,
    province: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    number = next(_numbers)
    at = BASE + timedelta(minutes=minute if minute is not None else number)
    rows = []
    for line in lines or [("A", 1)]:
        if isinstance(line, tuple):
            code, quantity = line
            line = {"sku": code, "quantity": quantity}
        rows.append(
            {
                "sku": line.get("sku"),
                "title": line.get("title", line.get("sku") or "item"),
                "quantity": line["quantity"],
                "unit_price": "10.00",
                "total": f"{10 * line['quantity']:.2f}",
                "refunded_quantity": line.get("refunded_quantity", 0),
                "components": line.get("components", []),
            }
        )
    data: dict[str, Any] = {
        "channel": "manual",
        "external_id": external_id or f"O-{number}",
        "status": status,
        "currency": "CNY",
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "updated_at": (at + timedelta(seconds=fields.pop("version", 0)))
        .isoformat()
        .replace("+00:00", "Z"),
        "paid_at": at.isoformat().replace("+00:00", "Z") if status != "pending_payment" else None,
        "buyer": {"name": "买家"},
        "lines": rows,
        "total": f"{sum(10 * r['quantity'] for r in rows):.2f}",
    }
    if province:
        data["ship_to"] = {"country": "CN", "province": province, "address": "..."}
    data.update(fields)
    return data


def submit(channel: ChannelAccount, data: dict[str, Any]) -> Order:
    payload = submit_order(channel, NormalizedOrder.model_validate(data), actor=ACTOR)
    payload.refresh_from_db()
    assert payload.order is not None
    return payload.order


def holding(order: Order) -> dict[tuple[str, str, str], int]:
    """(SKU code, location code, state) -> quantity the order holds or took."""
    return {
        (r.sku.code, r.location.code, r.state): r.quantity
        for r in Reservation.objects.filter(order=order).select_related("sku", "location")
    }


def stock_status(order: Order) -> str:
    row = OrderStock.objects.filter(order=order).first()
    return row.status if row else ""


def one_of_each() -> None:
    """At least one row of every stock model with an admin page (admin smoke tests)."""
    from datetime import date

    from omnioms.inventory.models import (
        ChannelAvailability,
        ChannelStockRule,
        IncomingStock,
        PlannedOutput,
        RuleLocation,
    )
    from omnioms.inventory.services import transfer_stock

    wh, other = warehouse("admin-wh"), warehouse("admin-wh-2")
    receive("ADMIN-A", wh, 10)
    transfer_stock(sku="ADMIN-A", from_location=wh, to_location=other, quantity=1, actor=ACTOR)
    web = account("admin-web", platform="shopify", location=wh)
    submit(web, order_json("ADMIN-1", [("ADMIN-A", 2)]))
    submit(web, order_json("ADMIN-2", [("ADMIN-A", 20)]))  # a backorder with its shortage
    rule = ChannelStockRule.objects.create(account=web)
    RuleLocation.objects.create(rule=rule, location=wh)
    item = sku("ADMIN-A")
    ChannelAvailability.objects.create(account=web, sku=item, quantity=7, pushed_at=BASE)
    IncomingStock.objects.create(sku=item, location=wh, quantity=5, expected_on=date(2026, 4, 1))
    PlannedOutput.objects.create(sku=item, location=wh, quantity=5, due_on=date(2026, 4, 1))
