"""Square Orders and Inventory APIs (``/v2``), with a bearer access token.

``api_credentials``: ``base_url`` (``https://connect.squareup.com``), ``token``,
``location_ids`` (a list or a comma-separated string: the locations whose orders are read;
the first is where stock is counted), optional ``api_version`` (the ``Square-Version``
header, default :data:`API_VERSION`) and ``page_size`` (at most 1000).

- Pull: ``POST orders/search`` filtered on ``updated_at`` and sorted by it, paged by Square's
  cursor. Each order is one record (the bare ``Order``).
- Fetch: ``GET orders/{id}`` (``{"order": ...}``), kept byte for byte. Square's webhooks are
  thin (they name an order): the adapter's ``order_ids_to_fetch`` reads the ids, and the pull
  path fetches them here.
- Shipped: the order's shipment fulfilment is updated to ``COMPLETED`` with the carrier and
  tracking number (``PUT orders/{id}`` at the order's current ``version``), with an idempotency
  key made from the order and tracking number, so a repeated request changes nothing twice.
- Availability: ``POST inventory/changes/batch-create`` with a ``PHYSICAL_COUNT`` per item;
  ``external_sku`` is the item variation's catalog object id (what the adapter keeps as SKU).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient

API_VERSION = "2025-01-23"


class SquareClient(BaseClient):
    platform = "square"
    page_size_default = 500
    page_size_max = 1000

    def auth_headers(self) -> dict[str, str]:
        version = str(self.credentials.get("api_version") or API_VERSION)
        return {"Authorization": f"Bearer {self.require('token')}", "Square-Version": version}

    @property
    def location_ids(self) -> list[str]:
        raw = self.credentials.get("location_ids")
        ids = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
        ids = [str(value).strip() for value in ids if str(value).strip()]
        if not ids:
            raise ClientError(
                f"account {self.name}: api_credentials.location_ids is missing (set it in the "
                "admin)",
                retryable=False,
            )
        return ids

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        body: dict[str, Any] = {
            "location_ids": self.location_ids,
            "limit": self.page_size,
            "query": {
                "filter": {
                    "date_time_filter": {
                        "updated_at": {"start_at": _rfc3339(since), "end_at": _rfc3339(until)}
                    }
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
        }
        if cursor:
            body["cursor"] = cursor
        reply = self.transport.request(
            "POST", "/v2/orders/search", json_body=body, idempotent=True, check=_errors
        )
        data = reply.data if isinstance(reply.data, dict) else {}
        orders = data.get("orders") or []
        if not isinstance(orders, list):
            raise ClientError("orders/search: orders is not a list", retryable=False)
        records = [self.record(o, f"order {o.get('id')}") for o in orders if isinstance(o, dict)]
        return Page(records, data.get("cursor") or None)

    def fetch_order(self, external_id: str) -> Record:
        reply = self.transport.request("GET", f"/v2/orders/{_id(external_id)}", check=_errors)
        return Record(raw=reply.content, label=f"order {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        order_id = _id(shipment.external_id)
        reply = self.transport.request("GET", f"/v2/orders/{order_id}", check=_errors)
        order = (reply.data or {}).get("order") or {}
        fulfilments = [
            f for f in order.get("fulfillments") or [] if isinstance(f, dict) and f.get("uid")
        ]
        shipping = [f for f in fulfilments if f.get("type") == "SHIPMENT"] or fulfilments
        if not shipping:
            raise ClientError(
                f"Square order {order_id} has no fulfilment to mark shipped", retryable=False
            )
        target = shipping[0]
        if target.get("state") == "COMPLETED":
            return  # done by an earlier attempt whose answer was lost
        details = {
            "carrier": shipment.carrier,
            "tracking_number": shipment.tracking_number,
            "shipped_at": _rfc3339(shipment.shipped_at),
        }
        key = hashlib.sha256(f"ship:{order_id}:{shipment.tracking_number}".encode()).hexdigest()[
            :45
        ]
        body = {
            "idempotency_key": key,
            "order": {
                "location_id": order.get("location_id"),
                "version": order.get("version"),
                "fulfillments": [
                    {"uid": target["uid"], "state": "COMPLETED", "shipment_details": details}
                ],
            },
        }
        self.transport.request(
            "PUT", f"/v2/orders/{order_id}", json_body=body, idempotent=True, check=_errors
        )

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        if not items:
            return
        location = self.location_ids[0]
        now = _rfc3339(datetime.now(UTC))
        changes = [
            {
                "type": "PHYSICAL_COUNT",
                "physical_count": {
                    "catalog_object_id": item.external_sku,
                    "location_id": location,
                    "quantity": str(item.quantity),
                    "state": "IN_STOCK",
                    "occurred_at": now,
                },
            }
            for item in items
        ]
        key = hashlib.sha256(repr(changes).encode()).hexdigest()[:45]
        self.transport.request(
            "POST",
            "/v2/inventory/changes/batch-create",
            json_body={"idempotency_key": key, "changes": changes},
            idempotent=True,  # the idempotency key makes a repeat harmless
            check=_errors,
        )


def _errors(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or not body.get("errors"):
        return None
    errors = [e for e in body["errors"] if isinstance(e, dict)]
    described = "; ".join(
        f"{e.get('category')} {e.get('code')}: {e.get('detail', '')}".strip() for e in errors
    )
    retryable = any(e.get("category") in {"RATE_LIMIT_ERROR", "API_ERROR"} for e in errors)
    return ClientError(f"Square error {described}", retryable=retryable)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(external_id: str) -> str:
    if not external_id.replace("-", "").replace("_", "").isalnum():
        raise ClientError(f"{external_id!r} is not a Square order id", retryable=False)
    return external_id


Client = SquareClient
