"""Rush orders: the what-if with its impact, the PMC <-> production loop, and promise dates."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from omnioms.catalog.models import Sku
from omnioms.core.models import Location
from omnioms.inventory.models import StockBalance
from omnioms.inventory.tests.factories import receive
from omnioms.planning.models import (
    Plan,
    PlanStatus,
    ProductionStatus,
    RushStatus,
)
from omnioms.planning.promise import promise_date
from omnioms.planning.rush import (
    RushError,
    accept,
    ask_changes,
    assess,
    propose,
    reject,
    request_rush,
    revise,
)
from omnioms.planning.schedules import publish, run_schedule
from omnioms.planning.tests.factories import MONDAY, SHANGHAI, production_order, shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
FAST: dict[str, Any] = {"time_limit": 3.0, "workers": 1}


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> Plan:
    shop()
    receive("FABRIC", Location.objects.get(code="wh-1"), 10_000)
    # two days of sewing for two lines: Monday and Tuesday are full
    for n in range(4):
        production_order("SHIRT", 48, date(2026, 12, 9), number=f"MO-{n}")
    monkeypatch.setattr(timezone, "now", lambda: MONDAY)
    return publish(run_schedule(MONDAY, score=False, **FAST), None)


def test_a_rush_order_gets_a_what_if_with_the_orders_it_makes_late_and_the_published_plan_stays(
    published: Plan,
) -> None:
    sales = make_user("order_clerk")
    shirt = Sku.objects.get(code="SHIRT")
    before = list(published.operations.values_list("pk", "start", "end"))

    request = request_rush(sku=shirt, quantity=96, wanted=date(2026, 12, 8), user=sales)
    assert request.production_order.status == ProductionStatus.REQUESTED
    assess(request, now=MONDAY, **FAST)

    request.refresh_from_db()
    impact = request.impact
    assert request.what_if is not None
    assert request.what_if.what_if
    assert request.what_if.based_on_id == published.pk
    assert request.promisable is not None
    assert request.promisable >= date(2026, 12, 8)
    assert impact["on_time_before"] == 1.0
    assert impact["becomes_late"] >= 1  # the lines were full: someone gives way
    assert all(row["late_hours_after"] > row["late_hours_before"] for row in impact["later"])
    assert impact["overtime"]["work_centers"] == ["CUT", "SEW"]
    assert impact["overtime"]["extra_hours"] > 0
    assert impact["overtime"]["becomes_late"] <= impact["becomes_late"]
    # the published plan was not touched
    published.refresh_from_db()
    assert published.status == PlanStatus.PUBLISHED
    assert list(published.operations.values_list("pk", "start", "end")) == before


def test_pmc_proposes_production_asks_for_changes_then_accepts_and_the_what_if_is_published(
    published: Plan,
) -> None:
    pmc, production = make_user("planner"), make_user("supervisor")
    request = request_rush(
        sku=Sku.objects.get(code="SHIRT"), quantity=48, wanted=date(2026, 12, 11), user=pmc
    )
    with pytest.raises(RushError, match="Assess"):
        propose(request, pmc)
    assess(request, now=MONDAY, overtime=False, **FAST)
    propose(request, pmc, "customer A needs it")
    ask_changes(request, production, "half of it by Friday, the rest next week")
    revise(request, pmc, quantity=24, wanted=date(2026, 12, 11))
    assess(request, now=MONDAY, overtime=False, **FAST)
    propose(request, pmc)

    accepted = accept(request, production, "ok")

    assert accepted.status == RushStatus.ACCEPTED
    assert accepted.production_order.status == ProductionStatus.RELEASED
    assert accepted.production_order.quantity == 24
    assert accepted.what_if is not None
    accepted.what_if.refresh_from_db()
    assert accepted.what_if.status == PlanStatus.PUBLISHED
    published.refresh_from_db()
    assert published.status == PlanStatus.SUPERSEDED
    steps = [(s.action, s.by_label) for s in accepted.steps.all()]
    assert steps == [
        ("requested", pmc.username),
        ("assessed", "system"),
        ("proposed", pmc.username),
        ("changes_asked", production.username),
        ("revised", pmc.username),
        ("assessed", "system"),
        ("proposed", pmc.username),
        ("accepted", production.username),
        ("published", production.username),
    ]
    assert all(s.at is not None for s in accepted.steps.all())


def test_a_rejected_rush_order_is_cancelled_and_its_what_if_discarded(published: Plan) -> None:
    pmc, production = make_user("planner"), make_user("supervisor")
    request = request_rush(
        sku=Sku.objects.get(code="SHIRT"), quantity=48, wanted=date(2026, 12, 8), user=pmc
    )
    assess(request, now=MONDAY, overtime=False, **FAST)
    propose(request, pmc)
    with pytest.raises(RushError, match="say why"):
        reject(request, production, " ")

    reject(request, production, "it would make three key orders late")

    request.refresh_from_db()
    assert request.status == RushStatus.REJECTED
    assert request.production_order.status == ProductionStatus.CANCELLED
    assert request.what_if is not None
    assert request.what_if.status == PlanStatus.DISCARDED
    with pytest.raises(RushError):
        accept(request, production)


def test_accepting_a_stale_what_if_is_refused(published: Plan) -> None:
    pmc = make_user("planner")
    request = request_rush(
        sku=Sku.objects.get(code="SHIRT"), quantity=8, wanted=date(2026, 12, 11), user=pmc
    )
    assess(request, now=MONDAY, overtime=False, **FAST)
    propose(request, pmc)
    publish(run_schedule(MONDAY, score=False, **FAST), None)  # a newer plan is published

    with pytest.raises(RushError, match="assess the rush order again"):
        accept(request, make_user("supervisor"))


def test_the_promise_date_comes_from_stock_then_supply_then_free_capacity(
    published: Plan,
) -> None:
    shirt = Sku.objects.get(code="SHIRT")
    receive("SHIRT", Location.objects.get(code="wh-1"), 10)
    today = date(2026, 12, 7)

    assert promise_date(shirt, 10, today).source == "stock"
    # 48 more: the four open orders' planned output is due by Wednesday (the published plan)
    by_supply = promise_date("SHIRT", 58, today)
    assert by_supply.source == "supply"
    assert by_supply.date is not None
    # more than all of that: made in the idle time after the published plan
    made = promise_date("SHIRT", 10 + 4 * 48 + 24, today)
    assert made.source == "capacity"
    assert made.date is not None
    assert made.date > today
    assert [s["work_center"] for s in made.steps] == ["CUT", "SEW"]
    last = max(op.end for op in published.operations.all())
    assert datetime.fromisoformat(made.steps[-1]["start"]) >= last.astimezone(SHANGHAI) - timedelta(
        days=3
    )


def test_without_materials_or_a_plan_there_is_no_promise() -> None:
    shop()
    StockBalance.objects.all().delete()
    assert promise_date("SHIRT", 5, date(2026, 12, 7)).date is None


def test_a_second_what_if_does_not_read_the_published_plan_again(published: Plan) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    shirt = Sku.objects.get(code="SHIRT")
    first = request_rush(sku=shirt, quantity=10, wanted=date(2026, 12, 11), user=None)
    assess(first, now=MONDAY, **FAST)  # reads the published plan once and keeps its view
    second = request_rush(sku=shirt, quantity=20, wanted=date(2026, 12, 11), user=None)
    with CaptureQueriesContext(connection) as queries:
        assess(second, now=MONDAY, **FAST)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
        and "planning_plannedoperation" in q["sql"]
    ]
    assert reads == []
    second.refresh_from_db()
    assert second.what_if is not None
    assert second.impact["based_on"] == published.version
