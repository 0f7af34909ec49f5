"""A simulated run through omnioms's services: orders arrive through the intake as channel
payloads, finished goods enter the ledger, shipments move orders to shipped."""

from __future__ import annotations

import pytest

from omnioms.channels.models import InboundPayload
from omnioms.core.choices import OrderStatus
from omnioms.inventory.models import StockBalance
from omnioms.orders.models import Order
from omnioms.simulation.company import FACTORY, DatabaseCompany, build_company
from omnioms.simulation.engine import Simulation
from omnioms.simulation.tests.factories import small_scenario

pytestmark = pytest.mark.django_db(transaction=True)


def test_orders_come_in_as_payloads_and_leave_shipped_through_the_order_services() -> None:
    product = small_scenario().products[0].model_dump(mode="json")
    scenario = small_scenario(products=[{**product, "opening_stock": 60}])
    build_company(scenario)
    company = DatabaseCompany(scenario)
    simulation = Simulation(scenario, "omnioms", days=6, company=company)
    outcome = simulation.run()

    placed = {item.order.number for item in outcome.orders}
    shipped = {item.order.number for item in outcome.orders if item.shipped}
    assert Order.objects.count() == len(placed) == InboundPayload.objects.count()
    in_database = Order.objects.filter(status=OrderStatus.SHIPPED)
    assert set(in_database.values_list("external_id", flat=True)) == shipped
    assert shipped
    # what the floor made went into the ledger and what shipped came out of it: the ledger
    # holds what the simulated shelf holds
    balance = StockBalance.objects.get(sku__code="P1", location__code=FACTORY)
    assert balance.on_hand == simulation.fg["P1"]
