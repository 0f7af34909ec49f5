"""The omnioms policy's factory through the planning and floor services: its work orders are
production orders planned by published planning runs, the machines report through the floor's
reporting service, each evening has its daily close, and the finished goods reach the ledger
through the orders' completion."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omnioms.floor.models import CommitDate, DailyClose, OperationReport, StateInterval
from omnioms.inventory.models import StockBalance
from omnioms.orders.models import Order
from omnioms.planning.models import OperationStatus, Plan, PlanStatus, ProductionOrder
from omnioms.simulation.company import FACTORY, DatabaseCompany, build_company
from omnioms.simulation.engine import Simulation
from omnioms.simulation.floor import Clock
from omnioms.simulation.production import DatabaseFactory, build_factory
from omnioms.simulation.report import write_report
from omnioms.simulation.tests.factories import small_scenario

pytestmark = pytest.mark.django_db(transaction=True)
DAYS = 9


def test_the_year_runs_through_production_orders_plans_reports_and_closes() -> None:
    product = small_scenario().products[0].model_dump(mode="json")
    scenario = small_scenario(products=[{**product, "opening_stock": 60}])
    build_company(scenario)
    build_factory(scenario, FACTORY)
    factory = DatabaseFactory(
        scenario, Clock(scenario.start, ZoneInfo(scenario.time_zone)), FACTORY
    )
    company = DatabaseCompany(scenario)
    simulation = Simulation(scenario, "omnioms", days=DAYS, company=company, factory=factory)
    simulation.run()

    # every customer order is committed for the date its customer was promised (what T-3 and
    # the app's on-time delivery count from)
    promised = {
        pk: date.fromisoformat(note.split()[1])
        for pk, note in Order.objects.values_list("pk", "notes_seller")
    }
    assert promised
    assert dict(CommitDate.objects.values_list("order_id", "committed_on")) == promised
    # every work order released to the floor is a production order, in the policy's plan
    assert factory.orders
    assert ProductionOrder.objects.count() == len(factory.orders)
    # planned at the rhythm: day 1 and after the second requirements run, the last published
    assert factory.figures.plans >= 2
    assert Plan.objects.filter(status=PlanStatus.PUBLISHED).count() == 1
    assert Plan.objects.filter(status=PlanStatus.SUPERSEDED).count() == factory.figures.plans - 1
    # what the machines did was reported: each finished operation has the good units the
    # simulated floor made, and the machine's time is in the floor's state intervals
    assert OperationReport.objects.filter(kind="finish").exists()
    completed = ProductionOrder.objects.filter(status="completed")
    assert completed.exists()
    for order in completed:
        last = order.operations.order_by("-sequence").first()
        assert last is not None
        assert last.status == OperationStatus.DONE
    # nothing reported is ahead of the simulated clock: the last report is on the last day
    last_report = OperationReport.objects.order_by("-at").first()
    assert last_report is not None
    assert last_report.at < factory.clock.at(DAYS * 1440)
    assert StateInterval.objects.filter(state="producing").exists()
    # a daily close for every simulated day; what it and T-3 found counted in the run's month
    assert DailyClose.objects.count() == DAYS
    found = factory.summary()
    assert found["daily_closes"] == DAYS
    assert set(found["exceptions_by_month"]) <= {"2026-03"}
    # the completed orders' good units went into the ledger: it holds the simulated shelf
    balance = StockBalance.objects.get(sku__code="P1", location__code=FACTORY)
    assert balance.on_hand == simulation.fg["P1"]
    # the materials: what arrived less the standard of what was made (back-flushed)
    assert StockBalance.objects.get(sku__code="M", location__code=FACTORY).on_hand > 0


def test_the_report_shows_what_the_daily_close_and_t3_found(tmp_path: Path) -> None:
    result = json.loads((Path(__file__).parent / "kpis_sample.json").read_text())
    omnioms = result["policies"]["omnioms"]
    month = omnioms["months"][0]["month"]
    omnioms["factory"] = {
        "production_orders": 12,
        "plans_published": 3,
        "floor_reports": 40,
        "daily_closes": 31,
        "t3_open_at_end": 1,
        "exceptions_by_month": {month: {"behind_plan": 4, "t3": 2}},
    }
    omnioms["months"][0].update({"exceptions_opened": 4, "t3_warnings": 2})

    write_report(tmp_path, result)

    page = (tmp_path / "report.html").read_text()
    assert "the daily close and T-3" in page
    assert f"<tr><th>{month}</th><td>4</td><td>0</td><td>0</td><td>0</td><td>2</td></tr>" in page
    rows = list(csv.DictReader((tmp_path / "kpis.csv").open()))
    first = next(r for r in rows if r["policy"] == "omnioms" and r["period"] == month)
    assert (first["exceptions_opened"], first["t3_warnings"]) == ("4", "2")
