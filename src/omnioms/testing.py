"""Factories for tests across apps: real objects made through the real services."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
from omnioms.channels.models import ChannelAccount, OutboundCommand
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.core.services import create_staff_user
from omnioms.orders.domain import ShipmentLine, make_shipment
from omnioms.orders.services import ship_order
from omnioms.sync.services import create_account

PASSWORD = "correct-horse-battery-9"
_numbers = itertools.count(1)


def make_location(code: str = "", kind: str = LocationKind.STORE) -> Location:
    code = code or f"loc-{next(_numbers)}"
    return Location.objects.get_or_create(code=code, defaults={"name": code, "kind": kind})[0]


def make_account(
    name: str = "", *, platform: str = "manual", secret: str = "s3cret", **extra: Any
) -> ChannelAccount:
    return create_account(
        name=name or f"acct-{next(_numbers)}", platform=platform, secret=secret, **extra
    )


def make_user(role: str, *, store: str | None = None, username: str = "") -> User:
    return create_staff_user(
        username=username or f"{role}-{next(_numbers)}",
        role=role,
        password=PASSWORD,
        store_code=store,
    )


def manual_order(external_id: str = "", **fields: Any) -> dict[str, Any]:
    """A valid normalised order (contracts.md) for a ``manual`` account, with overrides."""
    order: dict[str, Any] = {
        "external_id": external_id or f"M-{next(_numbers)}",
        "status": "paid",
        "currency": "CNY",
        "created_at": "2026-03-01T02:00:00Z",
        "updated_at": "2026-03-01T02:00:00Z",
        "buyer": {"name": "王小明", "phone": "13800138000"},
        "lines": [
            {
                "sku": "QH-TS-BLK-L",
                "title": "T恤 颜色:黑色;尺码:L",
                "quantity": 2,
                "unit_price": "99.00",
                "discount": "10.00",
                "total": "188.00",
            }
        ],
        "shipping": "8.00",
        "discount": "10.00",
        "total": "196.00",
    }
    order.update(fields)
    return order


def signed(body: dict[str, Any] | bytes, secret: str = "s3cret", **headers: str) -> dict[str, Any]:
    """Body bytes and headers signed with omnioms' generic HMAC, for ``receive_webhook``."""
    raw = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    return {
        "body": raw,
        "headers": {
            "Content-Type": "application/json",
            GENERIC_SIGNATURE_HEADER: hmac_sha256_base64(secret, raw),
            **headers,
        },
    }


class Api:
    """The REST API (``/api/v1``) as a caller holding ``token`` sees it; no token, anonymous."""

    def __init__(self, client: Client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self.headers,
        )


def api_as(client: Client, who: str | User, store: str | None = None) -> Api:
    """The API as a new user of role ``who`` (at ``store``), or as the user ``who``."""
    from omnioms.api.services import create_token

    user = who if isinstance(who, User) else make_user(who, store=store)
    return Api(client, create_token(user))


def record_shipment(
    order: Any,
    carrier: str,
    tracking_number: str,
    actor: Actor,
    *,
    lines: Sequence[ShipmentLine] = (),
    shipped_at: datetime | None = None,
) -> OutboundCommand | None:
    """Ship ``order`` as a person does (``orders.services.ship_order``); return the command
    queued for its platform, or None when its channel has no API to tell."""
    shipment = make_shipment(
        carrier, tracking_number, shipped_at=shipped_at or timezone.now(), lines=lines
    )
    change = ship_order(order.pk, shipment, actor=actor)
    command: OutboundCommand | None = change.results.get("outbound_command")
    return command
