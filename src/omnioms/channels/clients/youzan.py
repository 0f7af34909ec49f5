"""Youzan (有赞) open API (``/api/<method>/<version>``), authorised with an access token.

``api_credentials``: ``base_url`` (``https://open.youzanyun.com`` or a relay),
``access_token``, optional ``page_size`` (at most 100).

Every call is ``POST {base_url}/api/{method}/{version}?access_token=…`` with the parameters as
JSON. Answers are ``{"success": true, "code": 200, "data": …}``; a refusal has ``success``
false with ``code`` and ``message`` (or a gateway's ``gw_err_resp``). Rate-limit answers
(code 4000 / "频繁" / "限流") are retried (codes unverified).

- Pull: ``youzan.trades.sold.get`` by ``start_update`` / ``end_update`` (Beijing time), pages
  read last to first. Each ``full_order_info`` is one record.
- Fetch: ``youzan.trade.get``, kept byte for byte. Pushes that only name a trade are read by
  the adapter's ``order_ids_to_fetch`` and fetched here by the pull path.
- Shipped: ``youzan.logistics.online.confirm`` (``out_stype`` = Youzan's carrier id,
  ``out_sid`` = tracking number; a partial shipment names its ``oids``).
- Availability: ``youzan.item.quantity.update`` with the whole quantity; ``external_sku`` is
  ``<item_id>:<sku_id>``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient, DescendingPages, whole_number

VERSIONS = {
    "youzan.trades.sold.get": "4.0.4",
    "youzan.trade.get": "4.0.0",
    "youzan.logistics.online.confirm": "3.0.0",
    "youzan.item.quantity.update": "3.0.0",
}
RETRY_CODES = frozenset({4000, 4001, 5000})
RETRY_WORDS = ("频繁", "限流", "busy", "繁忙")


class YouzanClient(BaseClient):
    platform = "youzan"

    def call(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[Any, bytes]:
        reply = self.transport.request(
            "POST",
            f"/api/{method}/{VERSIONS[method]}",
            params={"access_token": self.require("access_token")},
            json_body=dict(params),
            idempotent=idempotent,
            check=_youzan_error,
        )
        data = reply.data.get("data") if isinstance(reply.data, dict) else None
        if data is None and isinstance(reply.data, dict):
            data = reply.data.get("response")  # the older answer shape
        return data, reply.content

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
        data, _raw = self.call(
            "youzan.trades.sold.get",
            {
                "start_update": self.local_text(start),
                "end_update": self.local_text(end),
                "page_no": page,
                "page_size": self.page_size,
            },
        )
        data = data if isinstance(data, dict) else {}
        entries = data.get("full_order_info_list") or []
        if not isinstance(entries, list):
            raise ClientError(
                "youzan.trades.sold.get: full_order_info_list is not a list", retryable=False
            )
        records = []
        for entry in entries:
            info = entry.get("full_order_info", entry) if isinstance(entry, dict) else None
            if isinstance(info, dict):
                tid = (info.get("order_info") or {}).get("tid")
                records.append(self.record(info, f"trade {tid}"))
        total = whole_number(data.get("total_results", len(records)), "youzan.trades.sold.get")
        return total, records

    def fetch_order(self, external_id: str) -> Record:
        data, raw = self.call("youzan.trade.get", {"tid": external_id})
        if not isinstance(data, dict) or not isinstance(data.get("full_order_info"), dict):
            raise ClientError(
                f"youzan.trade.get {external_id}: the answer has no full_order_info",
                retryable=False,
            )
        return Record(raw=raw, label=f"trade {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        params: dict[str, Any] = {
            "tid": shipment.external_id,
            "out_stype": shipment.carrier,
            "out_sid": shipment.tracking_number,
            "is_no_express": 0,
        }
        if shipment.lines:
            params["oids"] = ",".join(line_id for line_id, _ in shipment.lines)
        self.call("youzan.logistics.online.confirm", params, idempotent=False)

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        bad: list[str] = []
        for item in items:
            item_id, colon, sku_id = item.external_sku.partition(":")
            if not (colon and item_id.isdigit() and sku_id.isdigit()):
                bad.append(item.external_sku)
                continue
            self.call(
                "youzan.item.quantity.update",
                {"item_id": item_id, "sku_id": sku_id, "quantity": item.quantity, "type": 1},
            )  # the whole quantity: safe to repeat
        if bad:
            raise ClientError(
                f"Youzan SKUs must be mapped as <item_id>:<sku_id>, not {', '.join(bad)}; "
                "the other quantities were set",
                retryable=False,
            )


def _youzan_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict):
        return ClientError(f"expected an object, got {str(body)[:120]!r}", retryable=False)
    gateway = body.get("gw_err_resp")
    if isinstance(gateway, dict):
        code, message = gateway.get("err_code"), gateway.get("err_msg")
    elif body.get("success") is False or body.get("error_response"):
        nested = body.get("error_response")
        error: dict[str, Any] = nested if isinstance(nested, dict) else body
        code, message = error.get("code"), error.get("message") or error.get("msg")
    else:
        return None
    try:
        number = int(str(code))
    except ValueError:
        number = -1
    described = f"{code} {message or ''}".strip()
    retryable = number in RETRY_CODES or any(word in described for word in RETRY_WORDS)
    return ClientError(f"Youzan error {described}", retryable=retryable)


Client = YouzanClient
