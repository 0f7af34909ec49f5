"""WeChat Channels shop (视频号小店) API (``/channels/ec/…``), authorised with an access token.

``api_credentials``: ``base_url`` (``https://api.weixin.qq.com`` or a relay), and either
``access_token`` (kept fresh by a relay) or ``appid`` and ``secret`` (the token is then fetched
from ``cgi-bin/token`` and renewed before it expires); optional ``page_size`` (at most 100).

Answers carry ``errcode`` (0 is success) and ``errmsg``; -1 (system busy) and 45009 (call
limit) are retried; on 40001/42001 (token invalid or expired) a fetched token is dropped and
the call made once more with a new one.

- Pull: ``order/list/get`` by ``update_time_range`` lists only order ids (paged by
  ``next_key``); each is fetched with ``order/get``, and the whole answer is the record.
  :meth:`list_updated` (reconciliation) uses the id list alone: update times are unknown there,
  so reconciliation fetches only missing orders.
- Fetch: ``order/get``, kept byte for byte. Pushes name orders only: the adapter's
  ``order_ids_to_fetch`` reads them and the pull path fetches them here.
- Shipped: ``order/delivery/send`` (``delivery_id`` = WeChat's carrier id, ``waybill_id``).
- Availability: ``product/stock/update`` setting the number (``diff_type`` 3); ``external_sku``
  is ``<product_id>:<sku_id>``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import (
    AvailabilityItem,
    ClientError,
    OrderStamp,
    Page,
    Shipment,
    StampPage,
)
from omnioms.channels.clients.base import BaseClient, unix

RETRY_CODES = frozenset({-1, 45009})
TOKEN_CODES = frozenset({40001, 42001})
_tokens: dict[str, tuple[float, str]] = {}
_tokens_lock = threading.Lock()


class WeChatChannelsClient(BaseClient):
    platform = "wechat_channels"

    def _token(self) -> str:
        if self.credentials.get("access_token"):
            return self.require("access_token")
        with _tokens_lock:
            cached = _tokens.get(self.name)
            if cached and cached[0] > time.monotonic():
                return cached[1]
        reply = self.transport.request(
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.require("appid"),
                "secret": self.require("secret"),
            },
            check=_wechat_error,
        )
        token = reply.data.get("access_token") if isinstance(reply.data, dict) else None
        if not isinstance(token, str) or not token:
            raise ClientError("WeChat answered without an access_token", retryable=False)
        lifetime = float(reply.data.get("expires_in") or 7200)
        with _tokens_lock:
            _tokens[self.name] = (time.monotonic() + lifetime - 300, token)
        return token

    def call(self, path: str, body: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        return self._call(path, body, idempotent=idempotent)[0]

    def _call(
        self, path: str, body: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[Any, bytes]:
        for attempt in (1, 2):
            try:
                reply = self.transport.request(
                    "POST",
                    f"/channels/ec/{path}",
                    params={"access_token": self._token()},
                    json_body=dict(body),
                    idempotent=idempotent,
                    check=_wechat_error,
                )
                return reply.data, reply.content
            except ClientError as exc:
                expired = any(f"errcode {code}:" in str(exc) for code in TOKEN_CODES)
                if not expired or attempt == 2 or self.credentials.get("access_token"):
                    raise
                with _tokens_lock:  # renewed at the next attempt
                    _tokens.pop(self.name, None)
        raise AssertionError("unreachable")

    def _ids_page(
        self, since: datetime, until: datetime, cursor: str | None
    ) -> tuple[list[str], str | None]:
        body: dict[str, Any] = {
            "update_time_range": {"start_time": unix(since), "end_time": unix(until)},
            "page_size": self.page_size,
        }
        if cursor:
            body["next_key"] = cursor
        data = self.call("order/list/get", body)
        ids = [str(value) for value in (data.get("order_id_list") or [])]
        more = bool(data.get("has_more")) and bool(data.get("next_key"))
        return ids, (str(data["next_key"]) if more else None)

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        ids, next_key = self._ids_page(since, until, cursor)
        return Page([self.fetch_order(order_id) for order_id in ids], next_key)

    def list_updated(self, since: datetime, until: datetime, cursor: str | None) -> StampPage:
        ids, next_key = self._ids_page(since, until, cursor)
        return StampPage([OrderStamp(order_id, None) for order_id in ids], next_key)

    def fetch_order(self, external_id: str) -> Record:
        data, raw = self._call("order/get", {"order_id": external_id})
        if not isinstance(data.get("order"), dict):
            raise ClientError(f"order/get {external_id}: the answer has no order", retryable=False)
        return Record(raw=raw, label=f"order {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        delivery: dict[str, Any] = {
            "delivery_id": shipment.carrier,
            "waybill_id": shipment.tracking_number,
            "deliver_type": 1,
        }
        if shipment.lines:
            delivery["product_infos"] = [
                {"sku_id": line_id, "product_cnt": quantity} for line_id, quantity in shipment.lines
            ]
        self.call(
            "order/delivery/send",
            {"order_id": shipment.external_id, "delivery_list": [delivery]},
            idempotent=False,
        )

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        bad: list[str] = []
        for item in items:
            product_id, colon, sku_id = item.external_sku.partition(":")
            if not (colon and product_id and sku_id):
                bad.append(item.external_sku)
                continue
            self.call(
                "product/stock/update",
                {"product_id": product_id, "sku_id": sku_id, "diff_type": 3, "num": item.quantity},
            )  # sets the number: safe to repeat
        if bad:
            raise ClientError(
                f"WeChat Channels SKUs must be mapped as <product_id>:<sku_id>, not "
                f"{', '.join(bad)}; the other quantities were set",
                retryable=False,
            )


def _wechat_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict):
        return ClientError(f"expected an object, got {str(body)[:120]!r}", retryable=False)
    try:
        code = int(str(body.get("errcode", 0)))
    except ValueError:
        code = -1
    if code == 0:
        return None
    return ClientError(
        f"WeChat errcode {code}: {body.get('errmsg', '')}",
        retryable=code in RETRY_CODES,
    )


Client = WeChatChannelsClient
