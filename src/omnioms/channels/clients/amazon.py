"""Amazon Selling Partner API: Orders v0, shipment confirmation, Listings quantities.

``api_credentials``: ``base_url`` (the region's endpoint, e.g.
``https://sellingpartnerapi-eu.amazon.com``), ``marketplace_ids`` (list or comma-separated),
and either ``access_token`` (an LWA token a relay keeps fresh) or ``refresh_token``,
``client_id`` and ``client_secret`` (the token is then fetched from ``lwa_url``, default
:data:`LWA_URL`, and renewed before it expires). ``seller_id`` is needed for stock pushes.

- Pull: ``getOrders`` by ``LastUpdatedAfter`` / ``LastUpdatedBefore`` (Amazon wants the latter
  at least two minutes in the past), paged by ``NextToken``. A v0 order has no lines, so each
  record is the composite the adapter reads: ``{"order": <order>, "items": [<getOrderItems
  pages>]}``. :meth:`list_updated` (reconciliation) reads ``getOrders`` alone.
- Fetch: ``getOrder`` and ``getOrderItems`` into the same composite.
- Shipped: ``confirmShipment`` with one package naming every item (or the shipment's lines).
- Availability: Listings Items ``PATCH`` of ``fulfillment_availability`` (merchant-fulfilled
  quantity) per seller SKU.
- ORDER_CHANGE notifications name orders only: the adapter's ``order_ids_to_fetch`` reads them
  and the pull path fetches the orders here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import (
    AvailabilityItem,
    ClientError,
    OrderStamp,
    Page,
    Shipment,
    StampPage,
)
from omnioms.channels.clients.base import BaseClient
from omnioms.channels.clients.http import Transport, TransportSettings

LWA_URL = "https://api.amazon.com/auth/o2/token"
SETTLE = timedelta(minutes=2)
"""getOrders refuses a LastUpdatedBefore later than two minutes ago."""

_tokens: dict[str, tuple[float, str]] = {}
_tokens_lock = threading.Lock()


class AmazonClient(BaseClient):
    platform = "amazon"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        raw = self.credentials.get("marketplace_ids")
        ids = raw.split(",") if isinstance(raw, str) else raw if isinstance(raw, list) else []
        self.marketplace_ids = [str(v).strip() for v in ids if str(v).strip()]
        if not self.marketplace_ids:
            raise ClientError(
                f"account {self.name}: api_credentials.marketplace_ids is missing",
                retryable=False,
            )

    # Authorisation ----------------------------------------------------------------------------

    def _token(self) -> str:
        if self.credentials.get("access_token"):
            return self.require("access_token")
        with _tokens_lock:
            cached = _tokens.get(self.name)
            if cached and cached[0] > time.monotonic():
                return cached[1]
        settings = TransportSettings.from_credentials(
            {**self.credentials, "base_url": self.credentials.get("lwa_url") or LWA_URL},
            account=self.name,
        )
        with Transport(settings, account=f"{self.name}:lwa") as lwa:
            reply = lwa.request(
                "POST",
                settings.base_url,
                data={
                    "grant_type": "refresh_token",
                    "refresh_token": self.require("refresh_token"),
                    "client_id": self.require("client_id"),
                    "client_secret": self.require("client_secret"),
                },
                idempotent=True,
            )
        token = (reply.data or {}).get("access_token")
        if not isinstance(token, str) or not token:
            raise ClientError("Login with Amazon answered without an access_token", retryable=False)
        lifetime = float((reply.data or {}).get("expires_in") or 3600)
        with _tokens_lock:
            _tokens[self.name] = (time.monotonic() + lifetime - 60, token)
        return token

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        reply = self.transport.request(
            "GET", path, params=params, headers={"x-amz-access-token": self._token()}, check=_errors
        )
        return reply.data

    # Orders -----------------------------------------------------------------------------------

    def _orders_page(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        if cursor:
            params: dict[str, Any] = {"MarketplaceIds": ",".join(self.marketplace_ids)}
            params["NextToken"] = cursor
        else:
            latest = datetime.now(UTC) - SETTLE
            params = {
                "MarketplaceIds": ",".join(self.marketplace_ids),
                "LastUpdatedAfter": _iso(since),
                "LastUpdatedBefore": _iso(min(until, latest)),
                "MaxResultsPerPage": min(self.page_size, 100),
            }
        payload = _payload(self._get("/orders/v0/orders", params), "getOrders")
        orders = [o for o in payload.get("Orders") or [] if isinstance(o, dict)]
        return orders, payload.get("NextToken") or None

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        orders, next_token = self._orders_page(since, until, cursor)
        records = [
            self.record(
                {"order": order, "items": self._items(str(order.get("AmazonOrderId")))},
                f"order {order.get('AmazonOrderId')}",
            )
            for order in orders
        ]
        return Page(records, next_token)

    def list_updated(self, since: datetime, until: datetime, cursor: str | None) -> StampPage:
        orders, next_token = self._orders_page(since, until, cursor)
        stamps = []
        for order in orders:
            updated = order.get("LastUpdateDate")
            try:
                when = datetime.fromisoformat(str(updated).replace("Z", "+00:00"))
            except ValueError:
                when = None
            stamps.append(OrderStamp(str(order.get("AmazonOrderId")), when))
        return StampPage(stamps, next_token)

    def _items(self, order_id: str) -> list[Any]:
        pages: list[Any] = []
        token: str | None = None
        while True:
            params = {"NextToken": token} if token else None
            data = self._get(f"/orders/v0/orders/{quote(order_id)}/orderItems", params)
            pages.append(data)
            token = _payload(data, "getOrderItems").get("NextToken") or None
            if token is None:
                return pages

    def fetch_order(self, external_id: str) -> Record:
        order = self._get(f"/orders/v0/orders/{quote(external_id)}")
        return self.record(
            {"order": order, "items": self._items(external_id)}, f"order {external_id}"
        )

    # Shipping ---------------------------------------------------------------------------------

    def mark_shipped(self, shipment: Shipment) -> None:
        if shipment.lines:
            items = [{"orderItemId": line, "quantity": q} for line, q in shipment.lines]
        else:
            items = [
                {
                    "orderItemId": str(item.get("OrderItemId")),
                    "quantity": item.get("QuantityOrdered"),
                }
                for page in self._items(shipment.external_id)
                for item in _payload(page, "getOrderItems").get("OrderItems") or []
            ]
        body = {
            "marketplaceId": self.marketplace_ids[0],
            "packageDetail": {
                "packageReferenceId": "1",
                "carrierCode": shipment.carrier,
                "trackingNumber": shipment.tracking_number,
                "shipDate": _iso(shipment.shipped_at),
                "orderItems": items,
            },
        }
        self.transport.request(
            "POST",
            f"/orders/v0/orders/{quote(shipment.external_id)}/shipmentConfirmation",
            json_body=body,
            headers={"x-amz-access-token": self._token()},
            expect_json=False,
        )

    # Availability -----------------------------------------------------------------------------

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        seller = self.require("seller_id")
        for item in items:
            body = {
                "productType": "PRODUCT",
                "patches": [
                    {
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [
                            {"fulfillment_channel_code": "DEFAULT", "quantity": item.quantity}
                        ],
                    }
                ],
            }
            self.transport.request(
                "PATCH",
                f"/listings/2021-08-01/items/{quote(seller)}/{quote(item.external_sku, safe='')}",
                params={"marketplaceIds": ",".join(self.marketplace_ids)},
                json_body=body,
                headers={"x-amz-access-token": self._token()},
                idempotent=True,  # replacing a quantity twice is harmless
                check=_errors,
            )


def _payload(data: Any, where: str) -> dict[str, Any]:
    payload = data.get("payload") if isinstance(data, dict) else None
    if not isinstance(payload, dict):
        raise ClientError(
            f"{where}: the answer has no payload: {str(data)[:120]!r}", retryable=False
        )
    return payload


def _errors(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or not body.get("errors"):
        return None
    errors = [e for e in body["errors"] if isinstance(e, dict)]
    described = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    retryable = any(e.get("code") in {"QuotaExceeded", "InternalFailure"} for e in errors)
    return ClientError(f"Amazon error {described}", retryable=retryable)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


Client = AmazonClient
