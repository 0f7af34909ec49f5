"""JD (京东 POP) open platform through its gateway (``routerjson``): signed form POSTs.

``api_credentials``: ``base_url`` (the gateway URL, ``https://api.jd.com/routerjson`` or a
relay), ``app_key``, ``app_secret``, ``access_token``, optional ``page_size`` (at most 100).

Each call sends ``method, app_key, access_token, timestamp`` (Beijing time), ``v=2.0`` and the
business parameters as ``360buy_param_json``; ``sign`` is the upper-case MD5 of
``secret + sorted key+value pairs + secret``. Answers are ``<method>_responce`` (sic) objects,
errors ``error_response`` with ``code`` and ``zh_desc``/``en_desc``; JD's error codes are not
published in a form worth trusting, so "busy"/"limit" wording marks one retryable (unverified).

- Pull: ``jingdong.pop.order.search`` by modification time (``dateType`` 1), one Beijing day
  per query, pages read last to first. Each ``orderInfo`` is one record.
- Fetch: ``jingdong.pop.order.get``, kept byte for byte.
- Shipped: ``jingdong.pop.order.shipment`` (``logiCoprId`` = carrier id, ``logiNo``).
- Availability: ``jingdong.stock.write.updateSkuStock`` by JD ``skuId`` (an all-digit
  ``external_sku``), else the merchant code is looked up with
  ``jingdong.sku.read.searchSkuList``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient, DescendingPages, whole_number

ORDER_STATES = (
    "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,WAIT_SELLER_DELIVERY,POP_ORDER_PAUSE,"
    "PAUSE,FINISHED_L,TRADE_CANCELED,LOCKED,WAIT_SEND_CODE,DELIVERY_RETURN"
)
RETRY_WORDS = ("busy", "limit", "繁忙", "限流", "超时", "timeout")


class JdClient(BaseClient):
    platform = "jd"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_key = self.require("app_key")
        self.app_secret = self.require("app_secret")
        self.access_token = self.require("access_token")

    def call(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[dict[str, Any], bytes]:
        form = {
            "method": method,
            "app_key": self.app_key,
            "access_token": self.access_token,
            "timestamp": datetime.now(UTC).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "v": "2.0",
            "360buy_param_json": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
        }
        form["sign"] = sign(form, self.app_secret)
        reply = self.transport.request(
            "POST", self.settings.base_url, data=form, idempotent=idempotent, check=_jd_error
        )
        key = method.replace(".", "_") + "_responce"
        body = reply.data.get(key) if isinstance(reply.data, dict) else None
        if body is None and isinstance(reply.data, dict):
            body = reply.data.get(key.replace("_responce", "_response"))
        if not isinstance(body, dict):
            raise ClientError(
                f"{method}: expected {key!r} in the answer, got {str(reply.data)[:160]!r}",
                retryable=False,
            )
        return body, reply.content

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        pages = DescendingPages(
            platform=self.platform, zone=self.zone, page_size=self.page_size, read=self._page
        )
        return pages.page(since, until, cursor)

    def _page(self, start: datetime, end: datetime, page: int) -> tuple[int, list[Record]]:
        body, _raw = self.call(
            "jingdong.pop.order.search",
            {
                "start_date": self.local_text(start),
                "end_date": self.local_text(end),
                "order_state": ORDER_STATES,
                "page": str(page),
                "page_size": str(self.page_size),
                "dateType": 1,
            },
        )
        result = body.get("searchorderinfo_result") or {}
        orders = result.get("orderInfoList") or []
        if not isinstance(orders, list):
            raise ClientError(
                "jingdong.pop.order.search: orderInfoList is not a list", retryable=False
            )
        records = [
            self.record(o, f"order {o.get('orderId')}") for o in orders if isinstance(o, dict)
        ]
        total = whole_number(result.get("orderTotal", len(records)), "jingdong.pop.order.search")
        return total, records

    def fetch_order(self, external_id: str) -> Record:
        _body, raw = self.call("jingdong.pop.order.get", {"order_id": external_id})
        return Record(raw=raw, label=f"order {external_id}")

    def mark_shipped(self, shipment: Shipment) -> None:
        if shipment.lines:
            raise ClientError(
                "JD ships whole orders: split the order on JD first, then ship each part",
                retryable=False,
            )
        self.call(
            "jingdong.pop.order.shipment",
            {
                "order_id": shipment.external_id,
                "logiCoprId": shipment.carrier,
                "logiNo": shipment.tracking_number,
            },
            idempotent=False,
        )

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        unknown: list[str] = []
        for item in items:
            sku_id = item.external_sku if item.external_sku.isdigit() else self._sku_id(item)
            if sku_id is None:
                unknown.append(item.external_sku)
                continue
            self.call(
                "jingdong.stock.write.updateSkuStock",
                {"skuId": sku_id, "stockNum": item.quantity},
            )  # an absolute number: safe to repeat
        if unknown:
            raise ClientError(
                f"JD has no SKU with merchant code {', '.join(sorted(unknown))}; "
                "the other quantities were set",
                retryable=False,
            )

    def _sku_id(self, item: AvailabilityItem) -> str | None:
        body, _raw = self.call("jingdong.sku.read.searchSkuList", {"outerId": item.external_sku})
        page = body.get("page") or {}
        for sku in page.get("data") or []:
            if isinstance(sku, dict) and str(sku.get("outerId")) == item.external_sku:
                return str(sku.get("skuId"))
        return None


def sign(params: Mapping[str, str], secret: str) -> str:
    joined = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign")
    digest = hashlib.md5(f"{secret}{joined}{secret}".encode(), usedforsecurity=False)
    return digest.hexdigest().upper()


def _jd_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or "error_response" not in body:
        return None
    error = body["error_response"] if isinstance(body["error_response"], dict) else {}
    described = " ".join(
        str(error[key]) for key in ("code", "zh_desc", "en_desc") if error.get(key)
    )
    retryable = any(word in described.lower() for word in RETRY_WORDS)
    return ClientError(f"JD error {described}", retryable=retryable)


Client = JdClient
