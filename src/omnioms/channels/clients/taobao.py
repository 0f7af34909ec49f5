"""Taobao / Tmall through the TOP gateway (``router/rest``): signed form POSTs.

``api_credentials``: ``base_url`` (the gateway URL, e.g. ``https://eco.taobao.com/router/rest``
or an ISV relay), ``app_key``, ``app_secret``, ``session`` (the shop's authorisation), optional
``sign_method`` (``hmac-sha256`` default, ``md5`` or ``hmac``) and ``page_size`` (at most 100).

Every call sends the system parameters ``method, app_key, session, timestamp`` (Beijing time),
``format=json, v=2.0, sign_method, sign``; ``sign`` is the upper-case hex digest of the sorted
``key+value`` pairs (md5 wraps them in the secret; the hmac methods key with it). An answer
with ``error_response`` is an error: ``isp.*`` sub-codes (the platform's side) and code 7
("App Call Limited") are retried, everything else (``isv.*``: the request is wrong) is not.

- Pull: ``taobao.trades.sold.increment.get`` by ``modified`` time, one Beijing day per query
  (the API's limit), pages read last to first (see
  :class:`~omnioms.channels.clients.base.DescendingPages`). Each trade is one record.
- Fetch: ``taobao.trade.fullinfo.get``, kept byte for byte.
- Shipped: ``taobao.logistics.offline.send`` (``company_code`` = carrier code, ``out_sid`` =
  tracking number; a partial shipment sends ``is_split`` and the sub-orders' ``oid``).
- Availability: ``taobao.item.quantity.update`` (``type=1``: the full quantity). An
  ``external_sku`` ``<num_iid>:<sku_id>`` is used as given; otherwise it is the merchant code
  (``outer_id``) and is looked up with ``taobao.skus.custom.get``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import AvailabilityItem, ClientError, Page, Shipment
from omnioms.channels.clients.base import BaseClient, DescendingPages, whole_number

TRADE_FIELDS = (
    "tid,tid_str,status,type,buyer_nick,buyer_open_uid,buyer_message,seller_memo,trade_from,"
    "created,pay_time,modified,consign_time,end_time,total_fee,post_fee,discount_fee,adjust_fee,"
    "payment,receiver_name,receiver_mobile,receiver_phone,receiver_state,receiver_city,"
    "receiver_district,receiver_town,receiver_address,receiver_zip,promotion_details,"
    "orders.oid,orders.oid_str,orders.num_iid,orders.sku_id,orders.outer_iid,"
    "orders.outer_sku_id,orders.title,orders.sku_properties_name,orders.num,orders.price,"
    "orders.total_fee,orders.payment,orders.discount_fee,orders.adjust_fee,"
    "orders.divide_order_fee,orders.part_mjz_discount,orders.status,orders.refund_status"
)
RETRY_CODES = frozenset({7, 15, 520, 530})
OUTER_IDS_PER_QUERY = 40


class TaobaoClient(BaseClient):
    platform = "taobao"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app_key = self.require("app_key")
        self.app_secret = self.require("app_secret")
        self.session = self.require("session")
        self.sign_method = str(self.credentials.get("sign_method") or "hmac-sha256")
        if self.sign_method not in {"md5", "hmac", "hmac-sha256"}:
            raise ClientError(
                f"account {self.name}: api_credentials.sign_method must be md5, hmac or "
                f"hmac-sha256, got {self.sign_method!r}",
                retryable=False,
            )

    # The gateway ------------------------------------------------------------------------------

    def call(self, method: str, params: Mapping[str, Any], *, idempotent: bool = True) -> Any:
        """One TOP call; returns the ``<method>_response`` object (raw bytes on the reply)."""
        return self._call(method, params, idempotent=idempotent)[0]

    def _call(
        self, method: str, params: Mapping[str, Any], *, idempotent: bool = True
    ) -> tuple[Any, bytes]:
        form = {
            "method": method,
            "app_key": self.app_key,
            "session": self.session,
            "timestamp": datetime.now(UTC).astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S"),
            "format": "json",
            "v": "2.0",
            "sign_method": self.sign_method,
            **{key: _text(value) for key, value in params.items() if value is not None},
        }
        form["sign"] = sign(form, self.app_secret, self.sign_method)
        reply = self.transport.request(
            "POST", self.settings.base_url, data=form, idempotent=idempotent, check=_top_error
        )
        key = method.removeprefix("taobao.").replace(".", "_") + "_response"
        body = reply.data.get(key) if isinstance(reply.data, dict) else None
        if not isinstance(body, dict):
            raise ClientError(
                f"{method}: expected {key!r} in the answer, got {str(reply.data)[:160]!r}",
                retryable=False,
            )
        return body, reply.content

    # Orders -----------------------------------------------------------------------------------

    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        pages = DescendingPages(
            platform=self.platform, zone=self.zone, page_size=self.page_size, read=self._sold_page
        )
        return pages.page(since, until, cursor)

    def _sold_page(self, start: datetime, end: datetime, page: int) -> tuple[int, list[Record]]:
        body = self.call(
            "taobao.trades.sold.increment.get",
            {
                "fields": TRADE_FIELDS,
                "start_modified": self.local_text(start),
                "end_modified": self.local_text(end),
                "page_no": page,
                "page_size": self.page_size,
                "use_has_next": "false",
            },
        )
        total = whole_number(body.get("total_results", 0), "taobao.trades.sold.increment.get")
        trades = body.get("trades") or {}
        if isinstance(trades, dict):
            trades = trades.get("trade") or []
        if not isinstance(trades, list):
            raise ClientError(
                f"taobao.trades.sold.increment.get: trades is not a list: {str(trades)[:120]!r}",
                retryable=False,
            )
        records = [
            self.record(trade, f"trade {trade.get('tid_str') or trade.get('tid')}")
            for trade in trades
            if isinstance(trade, dict)
        ]
        return total, records

    def fetch_order(self, external_id: str) -> Record:
        _body, raw = self._call(
            "taobao.trade.fullinfo.get", {"tid": _digits(external_id), "fields": TRADE_FIELDS}
        )
        return Record(raw=raw, label=f"trade {external_id}")

    # Shipping ---------------------------------------------------------------------------------

    def mark_shipped(self, shipment: Shipment) -> None:
        params: dict[str, Any] = {
            "tid": _digits(shipment.external_id),
            "out_sid": shipment.tracking_number,
            "company_code": shipment.carrier,
        }
        if shipment.lines:
            params["is_split"] = 1
            params["sub_tid"] = ",".join(_digits(line_id) for line_id, _ in shipment.lines)
        body = self.call("taobao.logistics.offline.send", params, idempotent=False)
        shipping = body.get("shipping") or {}
        if not (isinstance(shipping, dict) and shipping.get("is_success") in (True, "true")):
            raise ClientError(
                f"taobao.logistics.offline.send did not confirm trade {shipment.external_id}: "
                f"{str(body)[:160]!r}",
                retryable=False,
            )

    # Availability -----------------------------------------------------------------------------

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None:
        targets: dict[str, tuple[str, str]] = {}
        by_code: list[str] = []
        for item in items:
            num_iid, colon, sku_id = item.external_sku.partition(":")
            if colon and num_iid.isdigit() and sku_id.isdigit():
                targets[item.external_sku] = (num_iid, sku_id)
            else:
                by_code.append(item.external_sku)
        targets.update(self._skus_by_outer_id(sorted(set(by_code))))
        for item in items:
            if item.external_sku not in targets:
                continue
            num_iid, sku_id = targets[item.external_sku]
            self.call(
                "taobao.item.quantity.update",
                {"num_iid": num_iid, "sku_id": sku_id, "quantity": item.quantity, "type": 1},
            )  # type 1 sets the whole quantity: repeating it is harmless
        unknown = sorted({item.external_sku for item in items} - set(targets))
        if unknown:
            raise ClientError(
                f"Taobao has no SKU with merchant code {', '.join(unknown)}; "
                "the other quantities were set",
                retryable=False,
            )

    def _skus_by_outer_id(self, codes: list[str]) -> dict[str, tuple[str, str]]:
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(codes), OUTER_IDS_PER_QUERY):
            chunk = codes[start : start + OUTER_IDS_PER_QUERY]
            body = self.call(
                "taobao.skus.custom.get",
                {"outer_id": ",".join(chunk), "fields": "sku_id,num_iid,outer_id"},
            )
            skus = body.get("skus") or {}
            if isinstance(skus, dict):
                skus = skus.get("sku") or []
            for sku in skus if isinstance(skus, list) else []:
                code = str(sku.get("outer_id") or "")
                if code in chunk and code not in found:
                    found[code] = (str(sku.get("num_iid")), str(sku.get("sku_id")))
        return found


def sign(params: Mapping[str, str], secret: str, method: str) -> str:
    """TOP's signature over every parameter but ``sign``, sorted by name."""
    joined = "".join(f"{key}{params[key]}" for key in sorted(params) if key != "sign").encode()
    if method == "md5":
        digest = hashlib.md5(secret.encode() + joined + secret.encode(), usedforsecurity=False)
        return digest.hexdigest().upper()
    algorithm = hashlib.sha256 if method == "hmac-sha256" else hashlib.md5
    return hmac.new(secret.encode(), joined, algorithm).hexdigest().upper()


def _top_error(body: Any) -> ClientError | None:
    if not isinstance(body, dict) or "error_response" not in body:
        return None
    error = body["error_response"] if isinstance(body["error_response"], dict) else {}
    code: Any = error.get("code")
    sub_code = str(error.get("sub_code") or "")
    parts = [
        str(error.get(key)) for key in ("code", "msg", "sub_code", "sub_msg") if error.get(key)
    ]
    try:
        numeric = int(code)
    except (TypeError, ValueError):
        numeric = -1
    # The sub-code says whose fault it is (isp: the platform's, isv: the caller's); the
    # top-level code alone only when there is none.
    retryable = sub_code.startswith(("isp.", "ism.")) if sub_code else numeric in RETRY_CODES
    return ClientError("TOP error " + " ".join(parts), retryable=retryable)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _digits(external_id: str) -> str:
    if not external_id.isdigit():
        raise ClientError(f"{external_id!r} is not a Taobao trade id", retryable=False)
    return external_id


Client = TaobaoClient
