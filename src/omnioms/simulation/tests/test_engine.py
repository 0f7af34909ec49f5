"""The simulated days without a database: repeatable with a seed, and the policies differ as
they should (make to order is late when customers expect next-day delivery)."""

from __future__ import annotations

from omnioms.simulation.engine import Simulation
from omnioms.simulation.kpis import figures
from omnioms.simulation.tests.factories import small_scenario


def test_a_run_is_repeatable_with_its_seed_and_changes_with_another() -> None:
    scenario = small_scenario()
    first = figures(Simulation(scenario, "omnioms", days=14).run())
    again = figures(Simulation(scenario, "omnioms", days=14).run())
    other = figures(Simulation(small_scenario(seed=4), "omnioms", days=14).run())
    assert first == again
    assert first != other


def test_the_floor_records_breakdowns_setups_and_scrap_for_the_oee() -> None:
    outcome = Simulation(small_scenario(), "omnioms", days=21).run()
    states = {record.state for record in outcome.floor.records}
    assert {"producing", "breakdown"} <= states
    f = figures(outcome)
    assert 0 < f["oee"] < 1
    assert f["quality"] < 1  # scrap drawn from the scrap rate


def test_make_to_order_is_late_where_omnioms_ships_from_planned_stock() -> None:
    scenario = small_scenario()
    omnioms = figures(Simulation(scenario, "omnioms").run())
    mto = figures(Simulation(scenario, "fifo-mto").run())
    assert mto["otd"] < 0.5 < omnioms["otd"]
    assert omnioms["forecast_accuracy"] is not None
    assert mto["forecast_accuracy"] is None


def test_every_order_is_judged_once_with_its_due_date() -> None:
    outcome = Simulation(small_scenario(), "reorder-point-edd", days=14).run()
    numbers = [item.order.number for item in outcome.orders]
    assert len(numbers) == len(set(numbers))
    assert all(item.shipped is None or item.shipped >= item.order.placed for item in outcome.orders)
