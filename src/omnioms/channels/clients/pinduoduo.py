"""Pinduoduo (拼多多) open platform through its gateway (``api/router``): signed form POSTs.

``api_credentials``: ``base_url`` (``https://gw-api.pinduoduo.com/api/router`` or a relay),
``client_id``, ``client_secret``, ``access_token``, optional ``page_size`` (at most 100).

Each call sends ``type`` (the method), ``client_id, access_token, timestamp`` (Unix seconds),
``data_type=JSON`` and the business parameters; ``sign`` is the upper-case MD5 of
``secret + sorted key+value pairs + secret``. Errors are ``error_response`` with
``error_code``/``error_msg`` (and ``sub_code``); call-frequency errors (70031 and the like,
or "频繁" in the message) are retried.

- Pull: ``pdd.order.number.list.increment.get`` by ``updated_at``; PDD allows at most 30
  minutes per query, so windows are cut to that, and pages are read last to first. Each
  ``order_sn_list`` entry is one record (the full ``order_info``).
- Fetch: ``pdd.order.information.get``, kept byte for byte. PDD's message-service pushes only
  name an order: the adapter's ``order_ids_to_fetch`` reads them for the pull path.
- Shipped: ``pdd.logistics.online.send`` (``logistics_id`` = PDD's carrier id).
- Availability: ``pdd.goods.quantity.update`` with ``update_type=1`` (the whole quantity);
  PDD needs the goods id, so ``external_sku`` is ``<goods_id>:<sku_id>``.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient, DescendingPages, unix, whole_number

WINDOW = timedelta(minutes=30)
RETRY_CODES = frozenset({70031, 70032, 70033, 70034, 50000})


class PinduoduoClient(BaseClient):
    platform = "pinduoduo"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.client_id = self.require("client_id")
        self.client_secret = self.require("client_secret")
        self.access_token = self.require("access_token")

    def call(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[dict[str, Any], bytes]:
        form = {
            "type": method,
            "client_id": self.client_id,
            "access_token": self.access_token,
            "timestamp": str(int(time.time())),
            "data_type": "JSON",
            **{key: str(value) for key, value in params.items() if value is not None},
        }
        form["sign"] = sign(form, self.client_secret)
        reply = self.transport.request(
            "POST", self.settings.base_url, data=form, idempotent=idempotent, check=_pdd_error
        )
        if not isinstance(reply.data, dict):
            raise ClientError(
                f"{method}: expected an object, got {str(reply.data)[:120]!r}", retryable=False
            )
        return reply.data, reply.content

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        pages = DescendingPages(
            platform=self.platform,
            zone=self.zone,
            page_size=self.page_size,
            read=self._page,
            span=WINDOW,
        )
        return pages.page(since, until, cursor)

    def _page(self, start: datetime, end: datetime, page: int) -> tuple[int, list[Record]]:
        data, _raw = self.call(
            "pdd.order.number.list.increment.get",
            {
                "start_updated_at": unix(start),
                "end_updated_at": unix(end),
                "is_lucky_flag": 0,
                "order_status": 5,
                "refund_status": 5,
                "page": page,
                "page_size": self.page_size,
            },
        )
        body = data.get("order_sn_increment_get_response") or {}
        orders = body.get("order_sn_list") or []
        if not isinstance(orders, list):
            raise ClientError("order_sn_list is not a list", retryable=False)
        records = [
            self.record(o, f"order {o.get('order_sn')}") for o in orders if isinstance(o, dict)
        ]
        total = whole_number(body.get("total_count", len(records)), "pdd.order.number.list")
        return total, records

    def fetch_order(self, external_id: str) -> Record:
        data, raw = self.call("pdd.order.information.get", {"order_sn": external_id})
        if not isinstance((data.get("order_info_get_response") or {}).get("order_info"), dict):
            raise ClientError(
                f"pdd.order.information.get {external_id}: no order_info in the answer",
                retryable=False,
            )
        return Record(raw=raw, label=f"order {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        if shipment.lines:
            raise ClientError("Pinduoduo ships whole orders only", retryable=False)
        if not shipment.carrier.isdigit():
            raise ClientError(
                f"Pinduoduo wants its numeric logistics_id as the carrier, got "
                f"{shipment.carrier!r}",
                retryable=False,
            )
        self.call(
            "pdd.logistics.online.send",
            {
                "order_sn": shipment.external_id,
                "logistics_id": shipment.carrier,
                "tracking_number": shipment.tracking_number,
            },
            idempotent=False,
        )

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        bad = [i.external_sku for i in items if not _goods_and_sku(i.external_sku)]
        for item in items:
            ids = _goods_and_sku(item.external_sku)
            if ids is None:
                continue
            self.call(
                "pdd.goods.quantity.update",
                {"goods_id": ids[0], "sku_id": ids[1], "quantity": item.quantity, "update_type": 1},
            )  # the whole quantity: safe to repeat
        if bad:
            raise ClientError(
                f"Pinduoduo SKUs must be mapped as <goods_id>:<sku_id>, not {', '.join(bad)}; "
                "the other quantities were set",
                retryable=False,
            )


def _goods_and_sku(external_sku: str) -> tuple[str, str] | None:
    goods_id, colon, sku_id = external_sku.partition(":")
    if colon and goods_id.isdigit() and sku_id.isdigit():
        return goods_id, sku_id
    return None


def sign(params: Mapping[str, str], secret: str) -> str:
    joined = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    digest = hashlib.md5(f"{secret}{joined}{secret}".encode(), usedforsecurity=False)
    return digest.hexdigest().upper()


def _pdd_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or "error_response" not in body:
        return None
    error = body["error_response"] if isinstance(body["error_response"], dict) else {}
    described = " ".join(
        str(error[key])
        for key in ("error_code", "error_msg", "sub_code", "sub_msg")
        if error.get(key)
    )
    try:
        code = int(str(error.get("error_code")))
    except (TypeError, ValueError):
        code = -1
    retryable = code in RETRY_CODES or "频繁" in described or "busy" in described.lower()
    return ClientError(f"Pinduoduo error {described}", retryable=retryable)


Client = PinduoduoClient
