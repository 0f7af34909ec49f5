"""WooCommerce REST API v3 (``/wp-json/wc/v3``), authenticated with a consumer key and secret.

``api_credentials``: ``base_url`` (the site, ``https://shop.example``), ``consumer_key``,
``consumer_secret`` (sent as HTTP Basic auth, which WooCommerce accepts over HTTPS), optional
``page_size`` (at most 100).

- Pull: ``GET orders?modified_after&modified_before&dates_are_gmt=true&orderby=modified``,
  paged by number (``X-WP-Total`` gives the count), read last page first (see
  :class:`~omnioms.channels.clients.base.DescendingPages`). Each order is one record.
- Fetch: ``GET orders/{id}``, kept byte for byte.
- Shipped: core WooCommerce has no tracking field, so the carrier and tracking number go into
  a note the customer sees (``POST orders/{id}/notes``), and a whole shipment sets the status
  ``completed`` (WooCommerce's "shipped and done").
- Cancelled: a private note with the reason (``POST orders/{id}/notes``), then ``PUT
  orders/{id}`` with the status ``cancelled``.
- Refund: ``POST orders/{id}/refunds`` with the amount, the reason (naming the outbound
  command), the refunded line items (``id``, ``quantity``, ``refund_total``) and
  ``api_refund`` (the money goes back through the payment gateway unless the account's
  ``api_credentials.refund_through_gateway`` is false). A refund whose reason names the
  command already (``GET orders/{id}/refunds``: an earlier attempt whose answer was lost)
  counts as done, so a retry never refunds twice.
- Address: ``PUT orders/{id}`` with the new ``shipping`` object.
- Availability: ``GET products?sku=`` finds the product or variation, then ``PUT`` sets
  ``stock_quantity`` (and ``manage_stock``).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import (
    AddressChange,
    AvailabilityItem,
    Cancellation,
    ClientError,
    Page,
    Refund,
    Shipment,
)
from omnioms.channels.clients.base import BaseClient, DescendingPages, whole_number

API = "/wp-json/wc/v3"


class WooCommerceClient(BaseClient):
    platform = "woocommerce"
    writes_back: ClassVar[frozenset[str]] = frozenset(
        {"mark_shipped", "cancel_order", "refund", "change_address"}
    )

    def auth_headers(self) -> dict[str, str]:
        pair = f"{self.require('consumer_key')}:{self.require('consumer_secret')}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        pages = DescendingPages(
            platform=self.platform,
            zone=self.zone,
            page_size=self.page_size,
            read=self._page,
            split_days=False,
        )
        return pages.page(since, until, cursor)

    def _page(self, start: datetime, end: datetime, page: int) -> tuple[int, list[Record]]:
        reply = self.transport.request(
            "GET",
            f"{API}/orders",
            params={
                "modified_after": _gmt(start),
                "modified_before": _gmt(end),
                "dates_are_gmt": "true",
                "orderby": "modified",
                "order": "asc",
                "per_page": self.page_size,
                "page": page,
                "status": "any",
            },
        )
        if not isinstance(reply.data, list):
            raise ClientError(
                f"GET orders: expected a list, got {str(reply.data)[:120]!r}", retryable=False
            )
        records = [
            self.record(order, f"order {order.get('id')}")
            for order in reply.data
            if isinstance(order, dict)
        ]
        total = whole_number(reply.headers.get("X-WP-Total", len(records)), "GET orders")
        return total, records

    def fetch_order(self, external_id: str) -> Record:
        reply = self.transport.request("GET", f"{API}/orders/{_number(external_id)}")
        return Record(raw=reply.content, label=f"order {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        order_id = _number(shipment.external_id)
        note = f"Shipped with {shipment.carrier}, tracking number {shipment.tracking_number}."
        if shipment.lines:
            shipped = ", ".join(f"{quantity} × line {line}" for line, quantity in shipment.lines)
            note = f"{note} ({shipped})"
        self.transport.request(
            "POST",
            f"{API}/orders/{order_id}/notes",
            json_body={"note": note, "customer_note": True},
        )
        if not shipment.lines:
            self.transport.request(
                "PUT", f"{API}/orders/{order_id}", json_body={"status": "completed"}
            )

    def cancel_order(self, cancellation: Cancellation) -> None:
        order_id = _number(cancellation.external_id)
        reason = cancellation.reason or "no reason given"
        note = f"Cancelled in omnioms: {reason}"
        if cancellation.reference:
            note = f"{note} ({cancellation.reference})"
        self.transport.request(
            "POST",
            f"{API}/orders/{order_id}/notes",
            json_body={"note": note, "customer_note": False},
        )
        self.transport.request("PUT", f"{API}/orders/{order_id}", json_body={"status": "cancelled"})

    def refund(self, refund: Refund) -> None:
        order_id = _number(refund.external_id)
        reason = " ".join(
            part
            for part in (refund.reason, f"({refund.reference})" if refund.reference else "")
            if part
        )
        reply = self.transport.request("GET", f"{API}/orders/{order_id}/refunds")
        done = reply.data if isinstance(reply.data, list) else []
        if refund.reference and any(
            isinstance(r, dict) and refund.reference in str(r.get("reason") or "") for r in done
        ):
            return  # an earlier attempt refunded it; its answer was lost
        lines: list[dict[str, Any]] = []
        for line in refund.lines:
            if not line.line_id.isdigit():
                raise ClientError(
                    f"line {line.line_id!r} is not a WooCommerce line item id: refund it in the "
                    "WooCommerce admin",
                    retryable=False,
                )
            lines.append(
                {
                    "id": int(line.line_id),
                    "quantity": line.quantity,
                    "refund_total": str(line.amount),
                }
            )
        body = {
            "amount": str(refund.amount),
            "reason": reason,
            "line_items": lines,
            "api_refund": bool(self.credentials.get("refund_through_gateway", True)),
        }
        self.transport.request("POST", f"{API}/orders/{order_id}/refunds", json_body=body)

    def change_address(self, change: AddressChange) -> None:
        order_id = _number(change.external_id)
        address = change.address
        first, _space, last = (address.get("name") or "").partition(" ")
        shipping = {
            "first_name": first,
            "last_name": last,
            "address_1": address.get("address") or "",
            "address_2": address.get("district") or "",
            "city": address.get("city") or "",
            "state": address.get("province") or "",
            "postcode": address.get("postal_code") or "",
            "country": address.get("country") or "",
            "phone": address.get("phone") or "",
        }
        self.transport.request("PUT", f"{API}/orders/{order_id}", json_body={"shipping": shipping})

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        unknown: list[str] = []
        for item in items:
            reply = self.transport.request(
                "GET", f"{API}/products", params={"sku": item.external_sku}
            )
            found = [
                p
                for p in (reply.data if isinstance(reply.data, list) else [])
                if isinstance(p, dict) and p.get("sku") == item.external_sku
            ]
            if not found:
                unknown.append(item.external_sku)
                continue
            product = found[0]
            parent = product.get("parent_id") or 0
            path = (
                f"{API}/products/{parent}/variations/{product['id']}"
                if parent
                else f"{API}/products/{product['id']}"
            )
            self.transport.request(
                "PUT", path, json_body={"manage_stock": True, "stock_quantity": item.quantity}
            )
        if unknown:
            raise ClientError(
                f"WooCommerce has no product with SKU {', '.join(sorted(unknown))}; "
                "the other quantities were set",
                retryable=False,
            )


def _gmt(moment: datetime) -> str:
    from datetime import UTC

    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _number(external_id: str) -> str:
    if not external_id.isdigit():
        raise ClientError(f"{external_id!r} is not a WooCommerce order id", retryable=False)
    return external_id


Client = WooCommerceClient
