"""Shopify Admin API: REST orders, fulfillment orders, GraphQL inventory.

``api_credentials``: ``base_url`` (``https://<shop>.myshopify.com``), ``token`` (the app's
Admin API access token), optional ``api_version`` (default :data:`API_VERSION`),
``location_id`` (where stock is set; a number or a ``gid://shopify/Location/…``) and
``page_size`` (at most 250).

- Pull: ``GET orders.json?status=any&updated_at_min&updated_at_max&order=updated_at asc``,
  paged by the ``page_info`` cursor of the ``Link`` header (Shopify's cursor paging does not
  skip orders that change while it is read). Each order becomes one record (the bare order
  object, which the webhook adapter reads).
- Fetch: ``GET orders/{id}.json``, kept byte for byte.
- Shipped: the order's open fulfillment orders get one fulfillment with the tracking number
  (``POST fulfillments.json``); a partial shipment names its lines. An order with nothing left
  to fulfil and fulfilled already counts as done, so a retried command does not fail.
- Cancelled: ``POST orders/{id}/cancel.json`` (reason ``other``, the customer not e-mailed by
  Shopify), after ``GET orders/{id}.json`` shows it is not cancelled already (a retry).
- Refund: ``POST orders/{id}/refunds/calculate.json`` with the refund line items gives the
  transactions Shopify suggests; the amount is spread over them (never more than each may
  refund) and ``POST orders/{id}/refunds.json`` sends the line items, the transactions and a
  note naming the outbound command. A refund with that note already on the order (an earlier
  attempt whose answer was lost) counts as done, so a retry never refunds twice.
- Address: ``PUT orders/{id}.json`` with the new ``shipping_address`` (setting it twice is
  harmless).
- Availability: variants are found by SKU (GraphQL ``productVariants``), then
  ``inventorySetQuantities`` sets ``available`` at the location. SKUs Shopify does not know
  are reported after the others are set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

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
from omnioms.channels.clients.base import BaseClient, utc_text

API_VERSION = "2025-01"
OPEN_FULFILLMENT = frozenset({"open", "in_progress", "scheduled"})
SKUS_PER_QUERY = 50
QUANTITIES_PER_MUTATION = 100

VARIANTS_BY_SKU = """
query VariantsBySku($query: String!, $first: Int!) {
  productVariants(first: $first, query: $query) {
    nodes { sku inventoryItem { id } }
  }
}
"""

SET_QUANTITIES = """
mutation SetAvailable($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    userErrors { field message code }
  }
}
"""


class ShopifyClient(BaseClient):
    platform = "shopify"
    writes_back: ClassVar[frozenset[str]] = frozenset(
        {"mark_shipped", "cancel_order", "refund", "change_address"}
    )
    page_size_default = 250
    page_size_max = 250

    def auth_headers(self) -> dict[str, str]:
        return {"X-Shopify-Access-Token": self.require("token")}

    @property
    def api(self) -> str:
        version = str(self.credentials.get("api_version") or API_VERSION)
        return f"/admin/api/{version}"

    # Orders -----------------------------------------------------------------------------------

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        params: dict[str, Any] = {"limit": self.page_size}
        if cursor:
            params["page_info"] = cursor  # Shopify refuses other filters beside page_info
        else:
            params.update(
                status="any",
                updated_at_min=utc_text(since),
                updated_at_max=utc_text(until),
                order="updated_at asc",
            )
        reply = self.transport.request("GET", f"{self.api}/orders.json", params=params)
        orders = _list(reply.data, "orders", "GET orders.json")
        records = [self.record(order, f"order {_id(order)}") for order in orders]
        return Page(records, _next_page_info(reply.headers.get("Link", "")))

    def fetch_order(self, external_id: str) -> Record:
        reply = self.transport.request("GET", f"{self.api}/orders/{_safe(external_id)}.json")
        if not isinstance(reply.data, dict) or not isinstance(reply.data.get("order"), dict):
            raise ClientError(
                f'GET orders/{external_id}.json: expected {{"order": {{...}}}}, got '
                f"{str(reply.data)[:120]!r}",
                retryable=False,
            )
        return Record(raw=reply.content, label=f"order {external_id}")

    # Shipping ---------------------------------------------------------------------------------

    def mark_shipped(self, shipment: Shipment) -> None:
        order_id = _safe(shipment.external_id)
        reply = self.transport.request(
            "GET", f"{self.api}/orders/{order_id}/fulfillment_orders.json"
        )
        fulfillment_orders = _list(reply.data, "fulfillment_orders", "GET fulfillment_orders.json")
        open_orders = [fo for fo in fulfillment_orders if fo.get("status") in OPEN_FULFILLMENT]
        if not open_orders:
            if fulfillment_orders and all(
                fo.get("status") == "closed" for fo in fulfillment_orders
            ):
                return  # fulfilled already (an earlier attempt whose answer was lost)
            raise ClientError(
                f"order {shipment.external_id}: Shopify has nothing open to fulfil "
                f"(statuses: {', '.join(str(fo.get('status')) for fo in fulfillment_orders)})",
                retryable=False,
            )
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": _fulfillment_lines(open_orders, shipment),
                "tracking_info": {
                    "number": shipment.tracking_number,
                    "company": shipment.carrier,
                },
                "notify_customer": False,
            }
        }
        self.transport.request("POST", f"{self.api}/fulfillments.json", json_body=body)

    # Cancelling, refunding, changing the address ------------------------------------------------

    def cancel_order(self, cancellation: Cancellation) -> None:
        order_id = _safe(cancellation.external_id)
        order = self._order_json(order_id)
        if order.get("cancelled_at"):
            return  # cancelled already (by the buyer, or an earlier attempt)
        self.transport.request(
            "POST",
            f"{self.api}/orders/{order_id}/cancel.json",
            json_body={"reason": "other", "email": False},
        )

    def refund(self, refund: Refund) -> None:
        order_id = _safe(refund.external_id)
        note = _note(refund.reason, refund.reference)
        reply = self.transport.request("GET", f"{self.api}/orders/{order_id}/refunds.json")
        done = _list(reply.data, "refunds", "GET refunds.json")
        if refund.reference and any(refund.reference in str(r.get("note") or "") for r in done):
            return  # an earlier attempt refunded it; its answer was lost
        line_items = [
            {
                "line_item_id": _line_id(line.line_id),
                "quantity": line.quantity,
                "restock_type": "no_restock",  # omnioms keeps the stock (returns, ledger)
            }
            for line in refund.lines
        ]
        reply = self.transport.request(
            "POST",
            f"{self.api}/orders/{order_id}/refunds/calculate.json",
            json_body={"refund": {"refund_line_items": line_items}},
            idempotent=True,  # a calculation changes nothing
        )
        suggested = (reply.data.get("refund") or {}) if isinstance(reply.data, dict) else {}
        transactions = _spread(refund, suggested.get("transactions") or [])
        body = {
            "refund": {
                "currency": refund.currency,
                "notify": False,
                "note": note,
                "refund_line_items": line_items,
                "transactions": transactions,
            }
        }
        self.transport.request("POST", f"{self.api}/orders/{order_id}/refunds.json", json_body=body)

    def change_address(self, change: AddressChange) -> None:
        order_id = _safe(change.external_id)
        address = change.address
        shipping = {
            "name": address.get("name") or "",
            "phone": address.get("phone") or "",
            "address1": address.get("address") or "",
            "address2": address.get("district") or "",
            "city": address.get("city") or "",
            "province": address.get("province") or "",
            "country": address.get("country") or "",
            "zip": address.get("postal_code") or "",
        }
        self.transport.request(
            "PUT",
            f"{self.api}/orders/{order_id}.json",
            json_body={"order": {"id": int(order_id), "shipping_address": shipping}},
            idempotent=True,
        )

    def _order_json(self, order_id: str) -> dict[str, Any]:
        reply = self.transport.request("GET", f"{self.api}/orders/{order_id}.json")
        order = reply.data.get("order") if isinstance(reply.data, dict) else None
        if not isinstance(order, dict):
            raise ClientError(
                f'GET orders/{order_id}.json: expected {{"order": {{...}}}}, got '
                f"{str(reply.data)[:120]!r}",
                retryable=False,
            )
        return order

    # Availability -----------------------------------------------------------------------------

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        if not items:
            return
        location = _gid("Location", self.require("location_id"))
        wanted = {item.external_sku: item for item in items}
        inventory_items = self._inventory_items(list(wanted))
        quantities = [
            {"inventoryItemId": inventory_items[sku], "locationId": location, "quantity": q}
            for sku, q in ((item.external_sku, item.quantity) for item in wanted.values())
            if sku in inventory_items
        ]
        for start in range(0, len(quantities), QUANTITIES_PER_MUTATION):
            data = self._graphql(
                SET_QUANTITIES,
                {
                    "input": {
                        "name": "available",
                        "reason": "correction",
                        "ignoreCompareQuantity": True,
                        "quantities": quantities[start : start + QUANTITIES_PER_MUTATION],
                    }
                },
            )
            errors = (data.get("inventorySetQuantities") or {}).get("userErrors") or []
            if errors:
                described = "; ".join(
                    f"{'.'.join(map(str, e.get('field') or []))}: {e.get('message')}"
                    for e in errors
                )
                raise ClientError(f"Shopify refused the quantities: {described}", retryable=False)
        unknown = [sku for sku in wanted if sku not in inventory_items]
        if unknown:
            raise ClientError(
                f"Shopify has no variant with SKU {', '.join(sorted(unknown))}; "
                "the other quantities were set",
                retryable=False,
            )

    def _inventory_items(self, skus: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(skus), SKUS_PER_QUERY):
            chunk = skus[start : start + SKUS_PER_QUERY]
            query = " OR ".join(f'sku:"{_quoted(sku)}"' for sku in chunk)
            data = self._graphql(VARIANTS_BY_SKU, {"query": query, "first": 2 * len(chunk)})
            nodes = ((data.get("productVariants") or {}).get("nodes")) or []
            for node in nodes:
                sku = node.get("sku") if isinstance(node, dict) else None
                item = (node.get("inventoryItem") or {}).get("id") if sku else None
                if sku in chunk and item and sku not in found:
                    found[sku] = item
        return found

    def _graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        reply = self.transport.request(
            "POST",
            f"{self.api}/graphql.json",
            json_body={"query": query, "variables": variables},
            idempotent=True,  # lookups, and setting an absolute quantity twice is harmless
            check=_graphql_errors,
        )
        data = reply.data.get("data") if isinstance(reply.data, dict) else None
        if not isinstance(data, dict):
            raise ClientError(
                f"Shopify GraphQL answered without data: {str(reply.data)[:200]!r}",
                retryable=False,
            )
        return data


def _graphql_errors(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or not body.get("errors"):
        return None
    errors = body["errors"] if isinstance(body["errors"], list) else [body["errors"]]
    throttled = any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors
    )
    messages = "; ".join(
        str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors
    )
    return ClientError(f"Shopify GraphQL error: {messages}", retryable=throttled)


def _fulfillment_lines(open_orders: list[dict[str, Any]], shipment: Shipment) -> list[Any]:
    if not shipment.lines:
        return [{"fulfillment_order_id": fo["id"]} for fo in open_orders]
    wanted = {str(line_id): quantity for line_id, quantity in shipment.lines}
    result = []
    for fo in open_orders:
        lines = []
        for item in fo.get("line_items") or []:
            line_id = str(item.get("line_item_id"))
            if line_id in wanted and wanted[line_id] > 0:
                quantity = min(wanted[line_id], int(item.get("fulfillable_quantity") or 0))
                if quantity:
                    lines.append({"id": item["id"], "quantity": quantity})
                    wanted[line_id] -= quantity
        if lines:
            result.append({"fulfillment_order_id": fo["id"], "fulfillment_order_line_items": lines})
    left = {line: quantity for line, quantity in wanted.items() if quantity > 0}
    if left:
        raise ClientError(
            f"order {shipment.external_id}: Shopify has nothing left to fulfil for line(s) "
            + ", ".join(f"{line} ({quantity})" for line, quantity in sorted(left.items())),
            retryable=False,
        )
    return result


def _note(reason: str, reference: str) -> str:
    return " ".join(part for part in (reason, f"({reference})" if reference else "") if part)


def _line_id(line_id: str) -> int:
    if not line_id.isdigit():
        raise ClientError(
            f"line {line_id!r} is not a Shopify line item id: refund it in the Shopify admin",
            retryable=False,
        )
    return int(line_id)


def _money(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite():
        raise ClientError(f"Shopify suggested the amount {value!r}, not a number", retryable=False)
    return amount


def _spread(refund: Refund, suggested: list[Any]) -> list[dict[str, Any]]:
    """The refund's amount over the transactions Shopify suggests, each at most what it may
    refund; an amount larger than all of them together is refused (Shopify would refuse it)."""
    left = refund.amount
    transactions = []
    for suggestion in suggested:
        if not isinstance(suggestion, dict) or left <= 0:
            continue
        room = _money(suggestion.get("maximum_refundable", suggestion.get("amount", 0)))
        amount = min(left, room)
        if amount <= 0:
            continue
        transactions.append(
            {
                "parent_id": suggestion.get("parent_id"),
                "amount": str(amount),
                "kind": "refund",
                "gateway": suggestion.get("gateway"),
            }
        )
        left -= amount
    if left > 0:
        raise ClientError(
            f"order {refund.external_id}: Shopify can refund at most "
            f"{refund.amount - left} {refund.currency}, not {refund.amount}",
            retryable=False,
        )
    return transactions


def _list(data: Any, key: str, where: str) -> list[dict[str, Any]]:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ClientError(
            f"{where}: expected a list of objects in {key!r}, got {str(data)[:120]!r}",
            retryable=False,
        )
    return value


def _id(order: dict[str, Any]) -> str:
    return str(order.get("id", "?"))


def _safe(external_id: str) -> str:
    if not external_id.isdigit():
        raise ClientError(f"{external_id!r} is not a Shopify order id", retryable=False)
    return external_id


def _gid(kind: str, value: str) -> str:
    return value if value.startswith("gid://") else f"gid://shopify/{kind}/{value}"


def _quoted(sku: str) -> str:
    return sku.replace("\\", "\\\\").replace('"', '\\"')


def _next_page_info(link: str) -> str | None:
    """The ``page_info`` of the ``rel="next"`` link, or None on the last page."""
    for part in link.split(","):
        if 'rel="next"' not in part:
            continue
        url = part.split(";", 1)[0].strip().strip("<>")
        values = parse_qs(urlparse(url).query).get("page_info")
        if values:
            return values[0]
    return None


Client = ShopifyClient
