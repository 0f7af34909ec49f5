"""Test data made through the real use cases: accounts, users with roles, orders via intake."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count
from typing import Any

from django.contrib.auth.models import Group, User

from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import ChannelAccount, InboundPayload
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind, StaffProfile
from omnioms.orders.models import Order
from omnioms.sync.services import import_file, submit_order
from omnioms.sync.webhooks import WebhookResult, receive_webhook

PASSWORD = "correct horse battery staple"
SECRET = "webhook-secret"
BASE_TIME = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)

_numbers = count(1)


def make_location(code: str, *, kind: str = LocationKind.STORE) -> Location:
    location, _created = Location.objects.get_or_create(
        code=code, defaults={"name": code.replace("-", " ").title(), "kind": kind}
    )
    return location


def make_account(
    name: str,
    *,
    platform: str = "manual",
    location: Location | None = None,
    currency: str = "CNY",
    display_name: str = "",
) -> ChannelAccount:
    return ChannelAccount.objects.create(
        name=name,
        display_name=display_name,
        platform=platform,
        location=location,
        default_currency=currency,
        webhook_secret=SECRET,
    )


def make_user(username: str, role: str, *, store: Location | None = None, **extra: Any) -> User:
    """A user in the role's group (groups exist after migrate), with a store if one is given."""
    user = User.objects.create_user(username=username, password=PASSWORD, **extra)
    user.groups.add(Group.objects.get(name=role))
    if store is not None:
        StaffProfile.objects.create(user=user, store=store)
    return user


def order_data(
    external_id: str | None = None,
    *,
    channel: str = "manual",
    status: str = "paid",
    created_at: datetime | None = None,
    updated_at: datetime | None = None,
    buyer: str = "Li Lei",
    lines: list[dict[str, Any]] | None = None,
    total: str | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A normalised order as JSON data (``contracts.md``); totals add up unless ``total`` says."""
    number = next(_numbers)
    created = created_at or BASE_TIME + timedelta(minutes=number)
    lines = (
        lines
        if lines is not None
        else [
            {
                "external_line_id": "1",
                "sku": "TEA-100",
                "title": "Green tea 100 g",
                "quantity": 2,
                "unit_price": "30.00",
                "total": "60.00",
            },
        ]
    )
    goods = sum((Decimal(line["unit_price"]) * line["quantity"] for line in lines), Decimal(0))
    data: dict[str, Any] = {
        "channel": channel,
        "external_id": external_id or f"ORD-{number:05d}",
        "status": status,
        "currency": "CNY",
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "updated_at": (updated_at or created).isoformat().replace("+00:00", "Z"),
        "buyer": {"name": buyer, "email": f"{buyer.lower().replace(' ', '.')}@example.com"},
        "lines": lines,
        "shipping": "0.00",
        "total": total if total is not None else str(goods),
    }
    data.update(fields)
    return data


def submit(account: ChannelAccount, data: dict[str, Any]) -> Order:
    """Store and upsert one order the way the API and staff entry do."""
    payload = submit_order(
        account, NormalizedOrder.model_validate(data), actor=Actor.system("tests")
    )
    payload.refresh_from_db()
    assert payload.order is not None
    return payload.order


def post_webhook(
    account: ChannelAccount, body: bytes | dict[str, Any], **headers: str
) -> WebhookResult:
    """Deliver a webhook signed with omnioms' own scheme, as a relay or POS would."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    signed = {
        "Content-Type": "application/json",
        GENERIC_SIGNATURE_HEADER: hmac_sha256_base64(SECRET, raw),
        **headers,
    }
    return receive_webhook(account, body=raw, headers=signed)


def import_orders(account: ChannelAccount, orders: Iterable[dict[str, Any]]) -> None:
    """Many orders at once through the file import (one JSON array, batched transactions)."""
    raw = json.dumps(list(orders)).encode()
    summary = import_file(account, raw=raw, filename="orders.json", actor=Actor.system("tests"))
    assert summary.dead_lettered == 0, summary.problems


def payload_of(order: Order) -> InboundPayload:
    payload = order.payloads.order_by("pk").first()
    assert payload is not None
    return payload
