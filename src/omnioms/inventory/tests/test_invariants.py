"""Random receipts, orders, cancels, shipments, returns and transfers keep the books right.

The flow's actions are among the paths: shipping part of an order and then the rest,
cancelling with a reason, refunding a line before shipment, and receiving a return inspected
back to sellable stock or into quarantine (``omnioms.flows.services.take_action``).

Orders are shipped and cancelled through every path a user has: the order page, the REST API,
a person or job through the use case, and the channel reporting it (a newer version of the
order). After every step: on hand equals the ledger's sum and the model's own count, reserved equals
what orders hold, neither is negative, reserved never exceeds on hand, and every order holds
what its status calls for (all of it, or nothing and a shortage).
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.flows.fields import FieldErrors
from omnioms.flows.services import ActionRefused, take_action
from omnioms.inventory.models import (
    ChannelStockRule,
    OrderStock,
    OrderStockStatus,
    Reservation,
    RuleLocation,
    StockBalance,
    StockMovement,
)
from omnioms.inventory.rules import forget_rules
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.services import StockError, record_return, transfer_stock
from omnioms.inventory.tests.factories import (
    ACTOR,
    account,
    order_json,
    receive,
    sku,
    submit,
    warehouse,
)
from omnioms.orders.domain import make_shipment
from omnioms.orders.models import Order
from omnioms.orders.services import change_order_status, ship_order
from omnioms.testing import api_as, make_user

SKUS = ["A", "B"]
LOCATIONS = ["wh-1", "wh-2"]
KIT = {"A": 1, "B": 2}
ACTOR_PERSON = Actor("user", "hypothesis")
SHIP_PATHS = ["page", "api", "use_case", "channel"]
CANCEL_PATHS = ["use_case", "channel"]


class StockMachine(RuleBasedStateMachine):
    orders = Bundle("orders")

    def __init__(self) -> None:
        super().__init__()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        forget_rules()
        self.locations = {code: warehouse(code) for code in LOCATIONS}
        for code in SKUS:
            sku(code)
        sku("KIT", components=list(KIT.items()))
        self.shop = account("shop", location=self.locations["wh-1"])
        rule = ChannelStockRule.objects.create(account=self.shop, split_allowed=True)
        for priority, code in enumerate(LOCATIONS, start=1):
            RuleLocation.objects.create(rule=rule, location=self.locations[code], priority=priority)
        self.on_hand: dict[tuple[str, str], int] = defaultdict(int)
        self.needs: dict[int, dict[str, int]] = {}
        self.sent: dict[int, tuple[str, list[tuple[str, int]], int]] = {}
        """What the channel last sent of each order: external id, lines, version."""
        self.numbers = 0
        self.boss = make_user(Role.MANAGER)
        self.page = Client()
        self.page.force_login(make_user(Role.ORDER_CLERK))
        self.api = api_as(Client(), Role.ORDER_CLERK)

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)
        forget_rules()

    @rule(code=st.sampled_from(SKUS), location=st.sampled_from(LOCATIONS), n=st.integers(1, 6))
    def receipt(self, code: str, location: str, n: int) -> None:
        receive(code, self.locations[location], n)
        self.on_hand[(code, location)] += n

    @rule(
        target=orders,
        a=st.integers(0, 3),
        b=st.integers(0, 3),
        kits=st.integers(0, 1),
    )
    def order(self, a: int, b: int, kits: int) -> int:
        lines = [(code, n) for code, n in (("A", a), ("B", b), ("KIT", kits)) if n]
        self.numbers += 1
        external_id, lines = f"H-{self.numbers}", lines or [("A", 1)]
        placed = submit(self.shop, order_json(external_id, lines, version=0))
        self.sent[placed.pk] = (external_id, lines, 0)
        needs: dict[str, int] = defaultdict(int)
        for code, n in lines:
            for part, per in KIT.items() if code == "KIT" else [(code, 1)]:
                needs[part] += n * per
        self.needs[placed.pk] = dict(needs)
        return placed.pk

    def _channel_reports(self, order_id: int, status: str) -> None:
        """The channel sends a newer version of the order with ``status``."""
        external_id, lines, version = self.sent[order_id]
        version += 60
        submit(self.shop, order_json(external_id, lines, status=status, version=version))
        self.sent[order_id] = (external_id, lines, version)

    @rule(order_id=orders, path=st.sampled_from(CANCEL_PATHS))
    def cancel(self, order_id: int, path: str) -> None:
        if Order.objects.get(pk=order_id).status != "paid":
            return
        if path == "use_case":
            change_order_status(order_id, "refunded", actor=ACTOR_PERSON)
        else:
            self._channel_reports(order_id, "refunded")

    @rule(order_id=orders, path=st.sampled_from(SHIP_PATHS))
    def ship(self, order_id: int, path: str) -> None:
        order = Order.objects.get(pk=order_id)
        if order.status != "paid" or order.stock.status != OrderStockStatus.RESERVED:
            return  # a backorder waits; shipping it would take unreserved stock
        for r in Reservation.objects.filter(order_id=order_id).select_related("sku", "location"):
            self.on_hand[(r.sku.code, r.location.code)] -= r.quantity
        shipment = {"carrier": "SF", "tracking_number": f"SF{order_id}"}
        if path == "page":
            response = self.page.post(reverse("web:order_ship", args=[order_id]), shipment)
            assert response.status_code == 302
        elif path == "api":
            response = self.api.post(f"/orders/{order_id}/shipments", shipment)
            assert response.status_code == 201, response.content
        elif path == "use_case":
            made = make_shipment("SF", f"SF{order_id}", shipped_at=timezone.now())
            ship_order(order_id, made, actor=ACTOR_PERSON)
        else:
            self._channel_reports(order_id, "shipped")
        assert Order.objects.get(pk=order_id).status == "shipped"

    @rule(order_id=orders, part=st.booleans())
    def flow_ship(self, order_id: int, part: bool) -> None:
        """Ship through the flow's action: one unit of the first line first when it has more."""
        order = Order.objects.get(pk=order_id)
        if order.status not in ("paid", "partially_shipped"):
            return
        if order.stock.status != OrderStockStatus.RESERVED:
            return
        first = order.lines.order_by("position").first()
        fields: dict[str, object] = {"carrier": "SF", "tracking_number": f"F{order_id}"}
        # units neither shipped nor refunded (a line refunded down to nothing has none to ship)
        left = first.quantity - first.refunded_quantity - first.shipped_quantity if first else 0
        if part and left > 1:
            fields["lines"] = [{"line": "#1", "quantity": 1}]
        before = self._consumed(order_id)
        result = take_action(order, "ship", fields, self.boss)
        whole = "lines" not in fields or result.status == "shipped"
        assert result.status == ("shipped" if whole else "partially_shipped")
        # What left stock, where: a partial shipment takes its units out at once.
        for key, n in self._consumed(order_id).items():
            self.on_hand[key] -= n - before.get(key, 0)
        if "lines" in fields and first is not None and first.sku_code in SKUS:
            assert sum(self._consumed(order_id).values()) > sum(before.values())

    def _consumed(self, order_id: int) -> dict[tuple[str, str], int]:
        return {
            (r.sku.code, r.location.code): r.quantity
            for r in Reservation.objects.filter(order_id=order_id, state="consumed").select_related(
                "sku", "location"
            )
        }

    @rule(order_id=orders)
    def flow_cancel(self, order_id: int) -> None:
        order = Order.objects.get(pk=order_id)
        if order.stage != "paid":
            return
        assert take_action(order, "cancel", {"reason": "buyer asked"}, self.boss).status == (
            "cancelled"
        )

    @rule(order_id=orders)
    def flow_refund_a_unit(self, order_id: int) -> None:
        """A unit of a plain line refunded before shipment: the order needs one unit less."""
        order = Order.objects.get(pk=order_id)
        line = order.lines.filter(sku_code__in=SKUS).order_by("position").first()
        if order.status != "paid" or line is None or line.quantity - line.refunded_quantity < 1:
            return
        key = f"#{line.position}"
        take_action(
            order,
            "refund",
            {"lines": [{"line": key, "quantity": 1}], "amount": "10", "reason": "gone"},
            self.boss,
        )
        self.needs[order_id][line.sku_code] -= 1
        self.needs[order_id] = {k: v for k, v in self.needs[order_id].items() if v}

    @rule(order_id=orders, quarantine=st.booleans())
    def flow_return_a_unit(self, order_id: int, quarantine: bool) -> None:
        order = Order.objects.get(pk=order_id)
        line = order.lines.filter(sku_code__in=SKUS).order_by("position").first()
        if order.stage != "shipped" or line is None or line.returned_quantity >= line.quantity:
            return
        fields = {
            "lines": [{"line": f"#{line.position}", "quantity": 1}],
            "inspection": "quarantine" if quarantine else "sellable",
            "reason": "returned",
        }
        try:
            take_action(order, "receive_return", fields, self.boss)
        except (ActionRefused, FieldErrors):
            # Refused only when no unit of the line is out: refunded before it shipped, or
            # already taken back (on the stock page, which the order's lines do not count).
            rows = Reservation.objects.filter(order_id=order_id, sku__code=line.sku_code)
            taken = sum(r.quantity for r in rows if r.state in ("consumed", "unbacked"))
            stock_out = taken - sum(r.quantity for r in rows if r.state == "returned")
            left = line.shipped_quantity or line.quantity - line.refunded_quantity
            assert stock_out < 1 or left - line.returned_quantity < 1, (
                f"a return of a unit of {line.sku_code} that is out was refused"
            )
            return
        back = StockMovement.objects.filter(order_id=order_id, kind="return").latest("pk")
        self.on_hand[(line.sku_code, back.location.code)] += 1
        if quarantine:
            assert back.location.code == "quarantine"

    @rule(order_id=orders, n=st.integers(1, 2))
    def give_back(self, order_id: int, n: int) -> None:
        rows = Reservation.objects.filter(order_id=order_id, state="consumed").select_related(
            "sku", "location"
        )
        row = rows.first()
        if row is None:
            return
        try:
            record_return(order_id, sku=row.sku.code, quantity=n, actor=ACTOR)
        except StockError:
            return  # more than went out
        self.on_hand[(row.sku.code, row.location.code)] += n

    @rule(code=st.sampled_from(SKUS), n=st.integers(1, 5), forward=st.booleans())
    def transfer(self, code: str, n: int, forward: bool) -> None:
        source, target = LOCATIONS if forward else LOCATIONS[::-1]
        try:
            transfer_stock(
                sku=code, from_location=source, to_location=target, quantity=n, actor=ACTOR
            )
        except StockError:
            return
        self.on_hand[(code, source)] -= n
        self.on_hand[(code, target)] += n

    @precondition(lambda self: bool(self.needs))
    @rule()
    def retry(self) -> None:
        from datetime import timedelta

        from omnioms.inventory.services import retry_backorders

        retry_backorders(min_age=timedelta(0))

    @invariant()
    def books_balance(self) -> None:
        assert stock_problems() == []
        actual = {
            (b.sku.code, b.location.code): b.on_hand
            for b in StockBalance.objects.select_related("sku", "location")
        }
        assert {k: v for k, v in actual.items() if v} == {
            k: v for k, v in self.on_hand.items() if v
        }

    @invariant()
    def orders_hold_what_their_status_calls_for(self) -> None:
        held: dict[int, dict[str, dict[str, int]]] = defaultdict(lambda: defaultdict(dict))
        for r in Reservation.objects.select_related("sku"):
            state = held[r.order_id][r.state]
            state[r.sku.code] = state.get(r.sku.code, 0) + r.quantity
        for order_id, status in OrderStock.objects.values_list("order_id", "status"):
            reserved = held[order_id].get("reserved", {})
            if status == OrderStockStatus.RESERVED:
                # Units shipped in part have left; the rest is reserved.
                gone = held[order_id].get("consumed", {})
                total = {k: reserved.get(k, 0) + gone.get(k, 0) for k in {*reserved, *gone}}
                assert {k: v for k, v in total.items() if v} == self.needs[order_id]
            elif status == OrderStockStatus.SHIPPED:
                assert held[order_id]["consumed"] == self.needs[order_id]
                assert not reserved
            else:
                assert not reserved, (status, reserved)


@pytest.mark.django_db
def test_random_stock_histories_keep_every_invariant() -> None:
    run_state_machine_as_test(
        StockMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
