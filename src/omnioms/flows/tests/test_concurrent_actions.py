"""Two people take different actions on the same order at the same moment (PostgreSQL): the
order's row lock lets one through; the other finds the stage moved on and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from omnioms.core.roles import Role
from omnioms.flows.services import ActionRefused, take_action
from omnioms.inventory.models import StockBalance
from omnioms.inventory.selectors import stock_problems
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.orders.models import Order
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs DATABASE_URL=PostgreSQL (row locks)"
)
def test_shipping_and_cancelling_at_once_leaves_one_outcome_and_balanced_books() -> None:
    wh = warehouse("wh-race-flow")
    receive("TEE", wh, 5)
    order = submit(
        account("tmall", platform="taobao", location=wh), order_json("R-1", [("TEE", 2)])
    )
    seen = Order.objects.select_related("account").get(pk=order.pk)  # both pages show "to_pick"
    clerks = [make_user(Role.ORDER_CLERK), make_user(Role.ORDER_CLERK)]
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def act(action: str, fields: dict[str, Any], user: Any) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes.append(take_action(seen, action, fields, user).status)
        except ActionRefused as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=act, args=("ship", {"carrier": "SF", "tracking_number": "1"}, clerks[0])
        ),
        threading.Thread(target=act, args=("cancel", {"reason": "buyer asked"}, clerks[1])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    done = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if isinstance(o, ActionRefused)]
    assert len(done) == 1, outcomes
    assert len(refused) == 1, outcomes
    order.refresh_from_db()
    assert order.status == done[0]
    balance = StockBalance.objects.get(sku__code="TEE")
    assert (balance.on_hand, balance.reserved) == ((3, 0) if done[0] == "shipped" else (5, 0))
    assert stock_problems() == []
