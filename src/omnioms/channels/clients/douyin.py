"""Douyin shop (抖店) open API: signed POSTs, answers ``{code, msg, data}``.

``api_credentials``: ``base_url`` (``https://openapi-fxg.jinritemai.com`` or a relay),
``app_key``, ``app_secret``, ``access_token`` (the shop's authorisation), optional
``sign_method`` (``hmac-sha256`` default, or ``md5``) and ``page_size`` (at most 100).

A call ``order.searchList`` is ``POST {base_url}/order/searchList`` with ``app_key, method,
access_token, timestamp, v=2, sign_method, sign`` in the query and ``param_json`` (the
parameters as JSON with sorted keys) as the body; ``sign`` is md5 or HMAC-SHA256 (keyed with
the secret) of ``secret + "app_key…method…param_json…timestamp…v2" + secret``, lower-case hex.
``code`` 10000 is success; 20000 (service unavailable) and rate-limit answers are retried
(codes unverified: the message is matched too), anything else is the caller's to fix.

- Pull: ``order.searchList`` by ``update_time`` (Unix seconds), pages read last to first;
  each ``shop_order_list`` entry is one record (the adapter reads the bare detail).
- Fetch: ``order.orderDetail`` by ``shop_order_id``, kept byte for byte.
- Shipped: ``order.logisticsAdd`` (whole order) or ``order.logisticsAddSinglePack`` (lines).
- Availability: ``sku.syncStock`` with ``incremental=false`` by merchant ``code``, or by
  ``<product_id>:<sku_id>``.
- :func:`named_orders` reads the order ids out of id-only push messages (thin webhooks).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from omnioms.channels.adapters.base import Record, text
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient, DescendingPages, unix, whole_number

SUCCESS = 10000
RETRY_CODES = frozenset({20000})
RATE_LIMIT_WORDS = ("限流", "频繁", "too many", "rate limit", "busy", "繁忙")
ORDER_ID_KEYS = ("p_id", "order_id", "shop_order_id")


class DouyinClient(BaseClient):
    platform = "douyin"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_key = self.require("app_key")
        self.app_secret = self.require("app_secret")
        self.access_token = self.require("access_token")
        self.sign_method = str(self.credentials.get("sign_method") or "hmac-sha256")
        if self.sign_method not in {"md5", "hmac-sha256"}:
            raise ClientError(
                f"account {self.name}: api_credentials.sign_method must be md5 or hmac-sha256, "
                f"got {self.sign_method!r}",
                retryable=False,
            )

    def call(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[dict[str, Any], bytes]:
        """One call; returns the answer's ``data`` object and the raw answer."""
        param_json = param_text(params)
        timestamp = str(int(time.time()))
        query = {
            "app_key": self.app_key,
            "method": method,
            "access_token": self.access_token,
            "timestamp": timestamp,
            "v": "2",
            "sign_method": self.sign_method,
        }
        query["sign"] = sign(
            self.app_key, method, param_json, timestamp, self.app_secret, self.sign_method
        )
        reply = self.transport.request(
            "POST",
            f"{self.settings.base_url}/{method.replace('.', '/')}",
            params=query,
            json_body=json.loads(param_json),
            idempotent=idempotent,
            check=_douyin_error,
        )
        data = reply.data.get("data") if isinstance(reply.data, dict) else None
        if not isinstance(data, dict):
            data = {}
        return data, reply.content

    # Orders -----------------------------------------------------------------------------------

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        pages = DescendingPages(
            platform=self.platform,
            zone=self.zone,
            page_size=self.page_size,
            read=self._search_page,
            first_page=0,
        )
        return pages.page(since, until, cursor)

    def _search_page(self, start: datetime, end: datetime, page: int) -> tuple[int, list[Record]]:
        data, _raw = self.call(
            "order.searchList",
            {
                "update_time_start": unix(start),
                "update_time_end": unix(end),
                "page": page,
                "size": self.page_size,
                "order_by": "update_time",
                "order_asc": True,
            },
        )
        orders = data.get("shop_order_list") or []
        if not isinstance(orders, list):
            raise ClientError(
                f"order.searchList: shop_order_list is not a list: {str(orders)[:120]!r}",
                retryable=False,
            )
        records = [
            self.record(order, f"order {order.get('order_id')}")
            for order in orders
            if isinstance(order, dict)
        ]
        return whole_number(data.get("total", len(records)), "order.searchList"), records

    def fetch_order(self, external_id: str) -> Record:
        data, raw = self.call("order.orderDetail", {"shop_order_id": external_id})
        if not isinstance(data.get("shop_order_detail"), dict):
            raise ClientError(
                f"order.orderDetail {external_id}: the answer has no shop_order_detail",
                retryable=False,
            )
        return Record(raw=raw, label=f"order {external_id}")

    # Shipping ---------------------------------------------------------------------------------

    def mark_shipped(self, shipment: Shipment) -> None:
        if shipment.lines:
            self.call(
                "order.logisticsAddSinglePack",
                {
                    "order_id_list": [shipment.external_id],
                    "shipped_order_info": [
                        {"shipped_order_id": line_id, "shipped_num": quantity}
                        for line_id, quantity in shipment.lines
                    ],
                    "company_code": shipment.carrier,
                    "logistics_code": shipment.tracking_number,
                },
                idempotent=False,
            )
            return
        self.call(
            "order.logisticsAdd",
            {
                "order_id": shipment.external_id,
                "company_code": shipment.carrier,
                "logistics_code": shipment.tracking_number,
            },
            idempotent=False,
        )

    # Availability -----------------------------------------------------------------------------

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        for item in items:
            product_id, colon, sku_id = item.external_sku.partition(":")
            params: dict[str, Any] = {"stock_num": item.quantity, "incremental": False}
            if colon and product_id.isdigit() and sku_id.isdigit():
                params.update(product_id=product_id, sku_id=sku_id)
            else:
                params["code"] = item.external_sku
            self.call("sku.syncStock", params)  # an absolute quantity: safe to repeat


def param_text(params: Mapping[str, Any]) -> str:
    """``param_json`` as Douyin signs it: sorted keys, no spaces, non-ASCII kept."""
    return json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def sign(
    app_key: str, method: str, param_json: str, timestamp: str, secret: str, sign_method: str
) -> str:
    message = f"app_key{app_key}method{method}param_json{param_json}timestamp{timestamp}v2"
    wrapped = f"{secret}{message}{secret}".encode()
    if sign_method == "md5":
        return hashlib.md5(wrapped, usedforsecurity=False).hexdigest()
    return hmac.new(secret.encode(), wrapped, hashlib.sha256).hexdigest()


def _douyin_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or "code" not in body:
        return ClientError(
            f"expected a Douyin answer with a code: {str(body)[:120]!r}", retryable=False
        )
    try:
        code = int(body["code"])
    except (TypeError, ValueError):
        code = -1
    if code == SUCCESS:
        return None
    described = " ".join(
        str(body[key]) for key in ("code", "msg", "sub_code", "sub_msg") if body.get(key)
    )
    lowered = described.lower()
    retryable = code in RETRY_CODES or any(word in lowered for word in RATE_LIMIT_WORDS)
    return ClientError(f"Douyin error {described}", retryable=retryable)


def named_orders(raw: bytes) -> list[str]:
    """Order ids of the id-only push messages in a push body (one message or an array).

    A message that carries a ``shop_order_detail`` or ``sku_order_list`` is not thin and names
    nothing; pings (tag 0) neither.
    """
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return []
    messages = data if isinstance(data, list) else [data]
    found: list[str] = []
    for message in messages:
        if not isinstance(message, dict) or text(message.get("tag")) == "0":
            continue
        payload = message.get("data", message)
        if isinstance(payload, str):
            try:
                payload = json.loads(payload)
            except json.JSONDecodeError:
                continue
        if not isinstance(payload, dict):
            continue
        if "shop_order_detail" in payload or "sku_order_list" in payload:
            continue
        for key in ORDER_ID_KEYS:
            value = payload.get(key)
            if not isinstance(value, bool) and text(value) not in (None, "0"):
                found.append(str(text(value)))
                break
    return list(dict.fromkeys(found))


Client = DouyinClient
