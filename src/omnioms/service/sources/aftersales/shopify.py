"""Shopify refunds: the ``refunds/create`` webhook, whose body is a REST ``Refund`` object
(``id``, ``order_id``, ``created_at``, ``note``, ``refund_line_items[]`` with
``line_item_id``, ``quantity`` and ``line_item.sku``, ``transactions[]`` with ``amount``
and ``currency``). The signature (``X-Shopify-Hmac-Sha256``) is the shop's, checked by the
channel adapter; the dedupe key is ``X-Shopify-Event-Id`` (else the webhook id, else the refund
id). An ``Order`` object (``{"order": {...}}`` or bare, as an ``orders/updated`` webhook or the
REST answer sends it) gives one request per refund in its ``refunds[]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from omnioms.channels.adapters.base import header, parse_iso
from omnioms.service.sources.aftersales.common import amount, ident, load, quantity
from omnioms.service.sources.base import AfterSaleLine, AfterSaleRequest, NormalizationError


def parse(body: bytes, headers: Mapping[str, Any]) -> list[AfterSaleRequest]:
    data = load(body)
    if not isinstance(data, dict):
        raise NormalizationError("not a JSON object")
    data = data.get("order") or data.get("refund") or data
    if not isinstance(data, dict):
        raise NormalizationError("is not an object", field="order")
    event = header(headers, "X-Shopify-Event-Id") or header(headers, "X-Shopify-Webhook-Id") or ""
    if "refund_line_items" in data or ("order_id" in data and "transactions" in data):
        return [_refund(data, event)]
    refunds = data.get("refunds") or []
    if not isinstance(refunds, list):
        raise NormalizationError("is not a list", field="refunds")
    return [_refund(r, "") for r in refunds if isinstance(r, dict)]


def _refund(refund: Mapping[str, Any], event: str) -> AfterSaleRequest:
    reference = ident(refund, "id")
    at = parse_iso(refund.get("created_at"), "created_at") or parse_iso(
        refund.get("processed_at"), "processed_at"
    )
    if at is None:
        raise NormalizationError("is missing", field="created_at")
    total = Decimal(0)
    currency = ""
    for index, transaction in enumerate(refund.get("transactions") or [], start=1):
        if isinstance(transaction, dict) and transaction.get("kind", "refund") == "refund":
            total += amount(transaction.get("amount"), f"transactions[{index}].amount") or 0
            currency = str(transaction.get("currency") or currency)
    lines = []
    for index, item in enumerate(refund.get("refund_line_items") or [], start=1):
        if not isinstance(item, dict):
            raise NormalizationError("not an object", field=f"refund_line_items[{index}]")
        found = item.get("line_item")
        line_item: dict[str, Any] = found if isinstance(found, dict) else {}
        lines.append(
            AfterSaleLine(
                ident(item, "line_item_id", required=False) or None,
                str(line_item.get("sku") or "") or None,
                quantity(item.get("quantity"), f"refund_line_items[{index}].quantity"),
            )
        )
    return AfterSaleRequest(
        platform="shopify",
        event_id=f"shopify:{event or reference}",
        reference=reference,
        order_external_id=ident(refund, "order_id"),
        kind="return" if refund.get("restock") else "refund",
        status="refunded",
        at=at,
        reason=str(refund.get("note") or ""),
        amount=total if currency else None,
        currency=currency,
        lines=tuple(lines),
    )
