"""A local HTTP server that plays a platform's API from fixtures, with faults injected on demand.

For tests and ``bench/pull.py``: clients talk real HTTP to ``127.0.0.1`` and nothing else.

    with ReplayServer() as server:
        shop = FakeShopify(server)
        shop.add(shopify_order(1, updated_at=...))
        server.inject("/orders.json", status=429, retry_after="0")   # next matching request
        server.inject("/orders.json", fault="timeout")
        account.api_credentials = shop.credentials(timeout=0.5)

Faults: an HTTP ``status`` (with ``retry_after``), ``timeout`` (the answer comes after
``delay`` seconds, longer than the client waits), ``malformed`` (a 200 whose body is cut off
mid-JSON), ``drop`` (the connection closes without an answer). Each injected fault answers
``times`` matching requests, then the real handler answers again.

The fakes (:class:`FakeShopify`, :class:`FakeTaobao`) keep orders, stock and shipments in
memory and answer the calls of :mod:`omnioms.channels.clients` the way the platforms document
them, from the fixture orders in ``channels/tests/fixtures``.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    @property
    def form(self) -> dict[str, str]:
        return {key: values[-1] for key, values in parse_qs(self.body.decode()).items()}

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, data: Any, status: int = 200, /, **headers: str) -> Reply:
        body = json.dumps(data, ensure_ascii=False).encode()
        return cls(status, body, {"Content-Type": "application/json", **headers})


Handler = Callable[[Request], Reply]


@dataclass
class Fault:
    path: str
    fault: str
    status: int
    retry_after: str | None
    delay: float
    times: int


class ReplayServer:
    """A threaded HTTP server on a free loopback port."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.faults_served = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ReplayServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """``pattern`` is a regular expression matched against the whole path."""
        self.routes.append((method.upper(), re.compile(pattern), handler))

    def inject(
        self,
        path: str = "",
        *,
        fault: str = "status",
        status: int = 500,
        retry_after: str | None = None,
        delay: float = 2.0,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose path contains ``path`` with a fault."""
        if fault not in {"status", "timeout", "malformed", "drop"}:
            raise ValueError(f"unknown fault {fault!r}")
        with self.lock:
            self.faults.append(Fault(path, fault, status, retry_after, delay, times))

    def calls(self, path: str = "") -> list[Request]:
        with self.lock:
            return [request for request in self.requests if path in request.path]

    # Serving ----------------------------------------------------------------------------------

    def _take_fault(self, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.path in path and fault.times > 0:
                    fault.times -= 1
                    self.faults_served += 1
                    return fault
        return None

    def _answer(self, request: Request) -> Reply | Fault:
        with self.lock:
            self.requests.append(request)
        fault = self._take_fault(request.path)
        if fault is not None:
            return fault
        for method, pattern, handler in self.routes:
            if method == request.method and pattern.fullmatch(request.path):
                try:
                    return handler(request)
                except Exception as exc:  # a fake's bug shows as a 500 the test can read
                    return Reply.json({"errors": f"{type(exc).__name__}: {exc}"}, 500)
        return Reply.json({"errors": "Not Found"}, 404)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query={key: values[-1] for key, values in parse_qs(parts.query).items()},
                    headers={key: value for key, value in self.headers.items()},
                    body=body,
                )
                answer = server._answer(request)
                if isinstance(answer, Fault):
                    self._fault(answer)
                    return
                self._send(answer)

            def _fault(self, fault: Fault) -> None:
                if fault.fault == "timeout":
                    server.stopping.wait(fault.delay)
                    self.close_connection = True
                    self._send(Reply.json({"late": True}))
                elif fault.fault == "drop":
                    self.close_connection = True
                    self.wfile.flush()
                    self.connection.close()
                elif fault.fault == "malformed":
                    self._send(Reply(200, b'{"orders": [{"id": 1, "line_it', {}))
                else:
                    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                    self._send(Reply.json({"errors": "injected"}, fault.status, **headers))

            def _send(self, reply: Reply) -> None:
                try:
                    self.send_response(reply.status)
                    for key, value in reply.headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client gave up waiting (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _serve

        return _Handler


# ----------------------------------------------------------------------------------------------
# Orders made from the fixtures


@functools.cache
def _fixture(relative: str) -> Any:
    """Parsed once; callers deep-copy before changing it."""
    return json.loads((FIXTURES / relative).read_text())


SHOPIFY_FIRST_ID = 9007199254740993
TAOBAO_FIRST_TID = 3712845069123456789


def shopify_order(n: int, *, updated_at: datetime, status: str = "paid") -> dict[str, Any]:
    """The fixture order ``webhook_orders_paid_partial.json`` as order number ``n``."""
    order = copy.deepcopy(_fixture("shopify/webhook_orders_paid_partial.json"))
    order["id"] = SHOPIFY_FIRST_ID + n
    order["admin_graphql_api_id"] = f"gid://shopify/Order/{order['id']}"
    order["name"] = f"#R{n}"
    order["order_number"] = 10_000 + n
    order["updated_at"] = updated_at.astimezone(UTC).isoformat()
    order["financial_status"] = status
    line_ids = {}
    for index, line in enumerate(order["line_items"], start=1):
        line_ids[line["id"]] = line["id"] = 10**17 + n * 10 + index
    for refund in order.get("refunds") or []:
        for item in refund.get("refund_line_items") or []:
            item["line_item_id"] = line_ids.get(item["line_item_id"], item["line_item_id"])
    return order


def taobao_trade(n: int, *, modified: datetime, status: str = "WAIT_SELLER_SEND_GOODS") -> dict:
    """The fixture trade ``trade_fullinfo_paid_gift.json`` as trade number ``n``."""
    trade = copy.deepcopy(
        _fixture("taobao/trade_fullinfo_paid_gift.json")["trade_fullinfo_get_response"]["trade"]
    )
    tid = TAOBAO_FIRST_TID + n * 1000
    trade["tid"] = tid
    trade["tid_str"] = str(tid)
    trade["modified"] = modified.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    trade["status"] = status
    for index, line in enumerate(trade["orders"]["order"], start=1):
        line["oid"] = tid + index
        line["oid_str"] = str(tid + index)
    return trade


# ----------------------------------------------------------------------------------------------
# Shopify


class FakeShopify:
    """Shopify's Admin API for one shop: orders, fulfillment orders, GraphQL inventory."""

    VERSION = "2025-01"
    TOKEN = "shpat_test"
    LOCATION = "gid://shopify/Location/55"

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.orders: dict[str, dict[str, Any]] = {}
        self.fulfillment_orders: dict[str, list[dict[str, Any]]] = {}
        self.fulfillments: list[dict[str, Any]] = []
        self.cancellations: list[tuple[str, dict[str, Any]]] = []
        self.refunds: dict[str, list[dict[str, Any]]] = {}
        """Order id -> the refunds made (as posted, with an ``id``)."""
        self.address_changes: list[tuple[str, dict[str, Any]]] = []
        self.variants: dict[str, str] = {}
        """SKU -> inventory item gid."""
        self.levels: dict[tuple[str, str], int] = {}
        """(inventory item gid, location gid) -> available."""
        self.lock = threading.Lock()
        api = rf"/admin/api/{self.VERSION}"
        server.route("GET", rf"{api}/orders\.json", self._orders)
        server.route("GET", rf"{api}/orders/(\d+)\.json", self._order)
        server.route("GET", rf"{api}/orders/(\d+)/fulfillment_orders\.json", self._fo)
        server.route("POST", rf"{api}/fulfillments\.json", self._fulfil)
        server.route("POST", rf"{api}/graphql\.json", self._graphql)
        server.route("POST", rf"{api}/orders/(\d+)/cancel\.json", self._cancel)
        server.route("GET", rf"{api}/orders/(\d+)/refunds\.json", self._refunds)
        server.route("POST", rf"{api}/orders/(\d+)/refunds/calculate\.json", self._calculate)
        server.route("POST", rf"{api}/orders/(\d+)/refunds\.json", self._refund)
        server.route("PUT", rf"{api}/orders/(\d+)\.json", self._update)

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "token": self.TOKEN,
            "api_version": self.VERSION,
            "location_id": "55",
            "backoff": 0.01,
            "max_backoff": 0.05,
            "rate_per_second": 1000,
            "burst": 1000,
            **extra,
        }

    def add(self, order: dict[str, Any]) -> None:
        with self.lock:
            key = str(order["id"])
            self.orders[key] = order
            if key not in self.fulfillment_orders:
                self.fulfillment_orders[key] = [
                    {
                        "id": int(key) * 10 + 1,
                        "order_id": order["id"],
                        "status": "open",
                        "line_items": [
                            {
                                "id": line["id"] * 10,
                                "line_item_id": line["id"],
                                "fulfillable_quantity": line["quantity"],
                            }
                            for line in order["line_items"]
                        ],
                    }
                ]

    def add_variant(self, sku: str, inventory_item: int) -> None:
        self.variants[sku] = f"gid://shopify/InventoryItem/{inventory_item}"

    def _authorised(self, request: Request) -> Reply | None:
        if request.headers.get("X-Shopify-Access-Token") != self.TOKEN:
            return Reply.json({"errors": "[API] Invalid API key or access token"}, 401)
        return None

    def _orders(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        query = dict(request.query)
        limit = int(query.get("limit", 50))
        if "page_info" in query:
            if set(query) - {"page_info", "limit"}:
                return Reply.json({"errors": "page_info: cannot be combined with filters"}, 400)
            state = json.loads(base64.urlsafe_b64decode(query["page_info"]))
            query, after = state["query"], tuple(state["after"])
        else:
            after = None
        low = _iso(query.get("updated_at_min"))
        high = _iso(query.get("updated_at_max"))
        with self.lock:
            stamped = [
                (_stamp(order["updated_at"]), int(key), order) for key, order in self.orders.items()
            ]
            keyed = sorted(
                ((stamp, key), order)
                for stamp, key, order in stamped
                if (low is None or stamp >= low) and (high is None or stamp <= high)
            )
        # Keyset paging as Shopify's cursors do: an order that changes while the list is read
        # moves past the end; nothing shifts into pages already read.
        rows = [(key, order) for key, order in keyed if after is None or key > _after(after)]
        page = rows[:limit]
        headers = {}
        if len(rows) > limit:
            last = page[-1][0]
            cursor = base64.urlsafe_b64encode(
                json.dumps({"query": query, "after": [last[0].isoformat(), last[1]]}).encode()
            ).decode()
            query_text = urlencode({"limit": limit, "page_info": cursor})
            link = f"{self.server.url}{request.path}?{query_text}"
            headers["Link"] = f'<{link}>; rel="next"'
        return Reply.json({"orders": [order for _, order in page]}, **headers)

    def _order(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        order_id = request.path.rsplit("/", 1)[-1].removesuffix(".json")
        with self.lock:
            order = self.orders.get(order_id)
        if order is None:
            return Reply.json({"errors": "Not Found"}, 404)
        return Reply.json({"order": order})

    def _fo(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        order_id = request.path.split("/")[-2]
        with self.lock:
            if order_id not in self.orders:
                return Reply.json({"errors": "Not Found"}, 404)
            return Reply.json({"fulfillment_orders": self.fulfillment_orders[order_id]})

    def _fulfil(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        fulfillment = request.json()["fulfillment"]
        with self.lock:
            for group in fulfillment["line_items_by_fulfillment_order"]:
                fo = self._find_fo(group["fulfillment_order_id"])
                if fo is None or fo["status"] == "closed":
                    return Reply.json({"errors": ["fulfillment order is not open"]}, 422)
                chosen = group.get("fulfillment_order_line_items")
                for item in fo["line_items"]:
                    take = item["fulfillable_quantity"]
                    if chosen is not None:
                        take = sum(c["quantity"] for c in chosen if c["id"] == item["id"])
                    item["fulfillable_quantity"] -= take
                if all(item["fulfillable_quantity"] == 0 for item in fo["line_items"]):
                    fo["status"] = "closed"
                else:
                    fo["status"] = "in_progress"
            self.fulfillments.append(fulfillment)
        return Reply.json({"fulfillment": {"id": len(self.fulfillments), "status": "success"}}, 201)

    def _order_of(self, request: Request, part: int) -> tuple[str, dict[str, Any] | None]:
        order_id = request.path.split("/")[part].removesuffix(".json")
        return order_id, self.orders.get(order_id)

    def _cancel(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        with self.lock:
            order_id, order = self._order_of(request, -2)
            if order is None:
                return Reply.json({"errors": "Not Found"}, 404)
            if order.get("cancelled_at"):
                return Reply.json({"error": "Order has already been cancelled"}, 422)
            if order.get("fulfillment_status") == "fulfilled":
                return Reply.json({"error": "Cannot cancel a fulfilled order"}, 422)
            body = request.json()
            order["cancelled_at"] = datetime.now(UTC).isoformat()
            order["cancel_reason"] = body.get("reason")
            self.cancellations.append((order_id, body))
        return Reply.json({"order": order})

    def _refunds(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        with self.lock:
            order_id, order = self._order_of(request, -2)
            if order is None:
                return Reply.json({"errors": "Not Found"}, 404)
            return Reply.json({"refunds": self.refunds.get(order_id, [])})

    def _suggested(self, order: dict[str, Any], items: list[dict[str, Any]]) -> Any:
        """What Shopify's calculate suggests: the lines' prices, from the one sale."""
        prices = {line["id"]: Decimal(str(line["price"])) for line in order["line_items"]}
        unknown = [item["line_item_id"] for item in items if item["line_item_id"] not in prices]
        if unknown:
            return None
        refunded = sum(
            (
                Decimal(t["amount"])
                for r in self.refunds.get(str(order["id"]), [])
                for t in r["transactions"]
            ),
            Decimal(0),
        )
        worth = sum(prices[i["line_item_id"]] * i["quantity"] for i in items)
        room = Decimal(str(order["total_price"])) - refunded
        return {
            "parent_id": 7001,
            "amount": str(min(worth, room)),
            "maximum_refundable": str(room),
            "kind": "suggested_refund",
            "gateway": "shopify_payments",
        }

    def _calculate(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        items = request.json()["refund"]["refund_line_items"]
        with self.lock:
            _order_id, order = self._order_of(request, -3)
            if order is None:
                return Reply.json({"errors": "Not Found"}, 404)
            suggestion = self._suggested(order, items)
        if suggestion is None:
            return Reply.json({"errors": {"refund_line_items": ["line item not found"]}}, 422)
        return Reply.json({"refund": {"refund_line_items": items, "transactions": [suggestion]}})

    def _refund(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        refund = request.json()["refund"]
        with self.lock:
            order_id, order = self._order_of(request, -2)
            if order is None:
                return Reply.json({"errors": "Not Found"}, 404)
            suggestion = self._suggested(order, refund["refund_line_items"])
            room = Decimal(suggestion["maximum_refundable"]) if suggestion else Decimal(0)
            asked = sum((Decimal(t["amount"]) for t in refund["transactions"]), Decimal(0))
            if asked > room:
                return Reply.json(
                    {"errors": {"base": [f"Refund amount must be at most {room}"]}}, 422
                )
            made = self.refunds.setdefault(order_id, [])
            made.append({**refund, "id": 9000 + len(made)})
        return Reply.json({"refund": made[-1]}, 201)

    def _update(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        body = request.json()["order"]
        with self.lock:
            order_id, order = self._order_of(request, -1)
            if order is None:
                return Reply.json({"errors": "Not Found"}, 404)
            if "shipping_address" in body:
                order["shipping_address"] = body["shipping_address"]
                self.address_changes.append((order_id, body["shipping_address"]))
        return Reply.json({"order": order})

    def _find_fo(self, fo_id: int) -> dict[str, Any] | None:
        for fos in self.fulfillment_orders.values():
            for fo in fos:
                if fo["id"] == fo_id:
                    return fo
        return None

    def _graphql(self, request: Request) -> Reply:
        if (denied := self._authorised(request)) is not None:
            return denied
        body = request.json()
        query, variables = body["query"], body.get("variables") or {}
        if "productVariants" in query:
            wanted = [
                re.sub(r"\\(.)", r"\1", sku)
                for sku in re.findall(r'sku:"((?:[^"\\]|\\.)*)"', variables["query"])
            ]
            nodes = [
                {"sku": sku, "inventoryItem": {"id": self.variants[sku]}}
                for sku in wanted
                if sku in self.variants
            ]
            return Reply.json({"data": {"productVariants": {"nodes": nodes}}})
        if "inventorySetQuantities" in query:
            data = variables["input"]
            errors = []
            with self.lock:
                for row in data["quantities"]:
                    if row["inventoryItemId"] not in self.variants.values():
                        errors.append({"field": ["input", "quantities"], "message": "unknown item"})
                        continue
                    self.levels[(row["inventoryItemId"], row["locationId"])] = row["quantity"]
            return Reply.json({"data": {"inventorySetQuantities": {"userErrors": errors}}})
        return Reply.json({"errors": [{"message": "unknown query"}]})

    def available(self, sku: str) -> int | None:
        return self.levels.get((self.variants[sku], self.LOCATION))


def _iso(value: Any) -> datetime | None:
    return _stamp(value) if value else None


def _stamp(value: Any) -> datetime:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def _after(after: tuple[Any, ...]) -> tuple[datetime, int]:
    stamp = after[0]
    moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    return moment, int(after[1])


# ----------------------------------------------------------------------------------------------
# Taobao


class FakeTaobao:
    """The TOP gateway for one shop: checks every signature, pages by number as TOP does."""

    APP_KEY = "12345678"
    APP_SECRET = "top-secret"
    SESSION = "6100e23-session"

    def __init__(self, server: ReplayServer, *, path: str = "/router/rest") -> None:
        self.server = server
        self.path = path
        self.trades: dict[str, dict[str, Any]] = {}
        self.shipments: list[dict[str, str]] = []
        self.skus: dict[str, tuple[str, str]] = {}
        """outer_id -> (num_iid, sku_id)."""
        self.quantities: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()
        server.route("POST", re.escape(path), self._gateway)

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "base_url": self.server.url + self.path,
            "app_key": self.APP_KEY,
            "app_secret": self.APP_SECRET,
            "session": self.SESSION,
            "backoff": 0.01,
            "max_backoff": 0.05,
            "rate_per_second": 1000,
            "burst": 1000,
            **extra,
        }

    def add(self, trade: dict[str, Any]) -> None:
        with self.lock:
            self.trades[trade["tid_str"]] = trade

    def add_sku(self, outer_id: str, num_iid: str, sku_id: str) -> None:
        self.skus[outer_id] = (num_iid, sku_id)

    @staticmethod
    def _error(code: int, msg: str, sub_code: str = "", sub_msg: str = "") -> Reply:
        error: dict[str, Any] = {"code": code, "msg": msg}
        if sub_code:
            error.update(sub_code=sub_code, sub_msg=sub_msg)
        return Reply.json({"error_response": error})

    def _gateway(self, request: Request) -> Reply:
        from omnioms.channels.clients.taobao import sign

        form = request.form
        if form.get("app_key") != self.APP_KEY:
            return self._error(29, "Invalid app Key")
        if form.get("sign") != sign(form, self.APP_SECRET, form.get("sign_method", "md5")):
            return self._error(25, "Invalid signature")
        if form.get("session") != self.SESSION:
            return self._error(27, "Invalid session")
        method = form.get("method", "")
        handler = {
            "taobao.trades.sold.increment.get": self._increment,
            "taobao.trade.fullinfo.get": self._fullinfo,
            "taobao.logistics.offline.send": self._send,
            "taobao.skus.custom.get": self._skus,
            "taobao.item.quantity.update": self._quantity,
        }.get(method)
        if handler is None:
            return self._error(22, "Invalid method")
        return handler(form)

    def _increment(self, form: dict[str, str]) -> Reply:
        start, end = form["start_modified"], form["end_modified"]
        if start[:10] != end[:10] and end[11:] != "00:00:00":
            return self._error(40, "Invalid arguments", "isv.invalid-parameter", "跨天查询不允许")
        page_no, size = int(form["page_no"]), int(form["page_size"])
        with self.lock:
            rows = sorted(
                (trade for trade in self.trades.values() if start <= trade["modified"] <= end),
                key=lambda trade: (trade["modified"], trade["tid_str"]),
                reverse=True,
            )
        chunk = rows[(page_no - 1) * size : page_no * size]
        return Reply.json(
            {
                "trades_sold_increment_get_response": {
                    "total_results": len(rows),
                    "trades": {"trade": chunk},
                }
            }
        )

    def _fullinfo(self, form: dict[str, str]) -> Reply:
        with self.lock:
            trade = self.trades.get(form["tid"])
        if trade is None:
            return self._error(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
        return Reply.json({"trade_fullinfo_get_response": {"trade": trade}})

    def _send(self, form: dict[str, str]) -> Reply:
        with self.lock:
            if form["tid"] not in self.trades:
                return self._error(15, "Remote service error", "isv.trade-not-exist", "交易不存在")
            self.shipments.append(form)
        return Reply.json({"logistics_offline_send_response": {"shipping": {"is_success": True}}})

    def _skus(self, form: dict[str, str]) -> Reply:
        found = [
            {
                "outer_id": code,
                "num_iid": int(self.skus[code][0]),
                "sku_id": int(self.skus[code][1]),
            }
            for code in form["outer_id"].split(",")
            if code in self.skus
        ]
        return Reply.json({"skus_custom_get_response": {"skus": {"sku": found}}})

    def _quantity(self, form: dict[str, str]) -> Reply:
        with self.lock:
            self.quantities[(form["num_iid"], form["sku_id"])] = int(form["quantity"])
        return Reply.json(
            {"item_quantity_update_response": {"item": {"num_iid": int(form["num_iid"])}}}
        )


def spread(count: int, *, start: datetime, step: timedelta) -> Iterator[datetime]:
    """``count`` update times from ``start``, ``step`` apart."""
    for n in range(count):
        yield start + n * step


# ----------------------------------------------------------------------------------------------
# Douyin


def douyin_order(n: int, *, updated_at: datetime) -> dict[str, Any]:
    """The fixture ``order_detail_paid_gift.json``'s order as order number ``n`` (n=0 keeps the
    fixture's ids, which the fixture push messages name)."""
    detail = copy.deepcopy(_fixture("douyin/order_detail_paid_gift.json")["data"])
    order = detail["shop_order_detail"]
    order_id = int(order["order_id"]) + n * 1000
    order["order_id"] = str(order_id)
    order["update_time"] = int(updated_at.timestamp())
    for index, line in enumerate(order["sku_order_list"], start=1):
        line["order_id"] = str(order_id + index)
        line["parent_order_id"] = str(order_id)
    return order


class FakeDouyin:
    """The Douyin shop open API for one shop; checks every signature."""

    APP_KEY = "7000111"
    APP_SECRET = "dy-secret"
    TOKEN = "dy-access-token"

    def __init__(self, server: ReplayServer) -> None:
        self.server = server
        self.orders: dict[str, dict[str, Any]] = {}
        self.shipments: list[dict[str, Any]] = []
        self.stock: dict[str, int] = {}
        self.lock = threading.Lock()
        server.route("POST", r"/(order|sku)/\w+", self._call)

    def credentials(self, **extra: Any) -> dict[str, Any]:
        return {
            "base_url": self.server.url,
            "app_key": self.APP_KEY,
            "app_secret": self.APP_SECRET,
            "access_token": self.TOKEN,
            "backoff": 0.01,
            "max_backoff": 0.05,
            "rate_per_second": 1000,
            "burst": 1000,
            **extra,
        }

    def add(self, order: dict[str, Any]) -> None:
        with self.lock:
            self.orders[order["order_id"]] = order

    @staticmethod
    def _answer(data: Any, code: int = 10000, msg: str = "success") -> Reply:
        return Reply.json({"code": code, "msg": msg, "sub_code": "", "sub_msg": "", "data": data})

    def _call(self, request: Request) -> Reply:
        from omnioms.channels.clients.douyin import param_text, sign

        query = request.query
        params = json.loads(request.body or b"{}")
        expected = sign(
            self.APP_KEY,
            query.get("method", ""),
            param_text(params),
            query.get("timestamp", ""),
            self.APP_SECRET,
            query.get("sign_method", "md5"),
        )
        if query.get("app_key") != self.APP_KEY or query.get("sign") != expected:
            return self._answer({}, 30002, "sign verification failed")
        if query.get("access_token") != self.TOKEN:
            return self._answer({}, 30001, "access_token invalid")
        method = query.get("method")
        if request.path != "/" + str(method).replace(".", "/"):
            return self._answer({}, 40004, "method does not match the path")
        if method == "order.searchList":
            low, high = params["update_time_start"], params["update_time_end"]
            with self.lock:
                rows = sorted(
                    (o for o in self.orders.values() if low <= o["update_time"] <= high),
                    key=lambda o: (o["update_time"], o["order_id"]),
                )
            page, size = params["page"], params["size"]
            chunk = rows[page * size : (page + 1) * size]
            return self._answer({"shop_order_list": chunk, "total": len(rows), "page": page})
        if method == "order.orderDetail":
            with self.lock:
                order = self.orders.get(params["shop_order_id"])
            if order is None:
                return self._answer(
                    {},
                    50002,
                    "业务处理失败",
                )
            return self._answer({"shop_order_detail": order})
        if method in {"order.logisticsAdd", "order.logisticsAddSinglePack"}:
            with self.lock:
                self.shipments.append({"method": method, **params})
            return self._answer({})
        if method == "sku.syncStock":
            with self.lock:
                key = params.get("code") or f"{params.get('product_id')}:{params.get('sku_id')}"
                self.stock[key] = params["stock_num"]
            return self._answer({})
        return self._answer({}, 40004, f"unknown method {method}")
