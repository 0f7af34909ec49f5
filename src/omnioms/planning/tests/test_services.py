"""A requirements run from the database, and releasing its proposals."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from omnioms.catalog.models import Sku, SkuKind
from omnioms.core.actor import Actor
from omnioms.core.jobs import run_job, start_job
from omnioms.core.models import Job, JobStatus
from omnioms.forecasting.models import ForecastFigure, ForecastRun, Level, RunStatus
from omnioms.inventory.models import IncomingStock, PlannedOutput
from omnioms.inventory.tests.factories import account, order_json, receive, submit, warehouse
from omnioms.planning.models import PlannedKind, PlannedOrder, PlannedStatus, ProductionOrder
from omnioms.planning.services import PlanningError, release_planned_order, run_requirements
from omnioms.production.models import (
    Bom,
    BomLine,
    Routing,
    RoutingOperation,
    Supplier,
    SupplyTerm,
    WorkCenter,
)
from omnioms.production.tests.factories import day_calendar, sku

pytestmark = pytest.mark.django_db

PLANNER = Actor("user", "planner")
TODAY = date(2026, 3, 2)


@pytest.fixture
def factory() -> None:
    shirt, fabric = sku("SHIRT"), sku("FABRIC", SkuKind.BOUGHT)
    fabric.unit, fabric.unit_decimals = "m", 2
    fabric.save(update_fields=["unit", "unit_decimals"])
    mill = Supplier.objects.create(code="MILL", name="Mill")
    SupplyTerm.objects.create(
        sku=fabric,
        supplier=mill,
        lead_time_days=10,
        min_order_quantity=Decimal(50),
        order_multiple=Decimal(10),
        unit_price=Decimal(20),
    )
    bom = Bom.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    BomLine.objects.create(bom=bom, position=1, component=fabric, quantity_per=Decimal("1.5"))
    sew = WorkCenter.objects.create(code="SEW", name="Sewing", calendar=day_calendar())
    routing = Routing.objects.create(sku=shirt, version=1, effective_from=date(2026, 1, 1))
    RoutingOperation.objects.create(
        routing=routing, sequence=10, name="Sew", work_center=sew, run_seconds_per_unit=540
    )
    wh = warehouse("wh-1")
    receive("SHIRT", wh, 20)
    receive("FABRIC", wh, 3000)  # 30 m


def test_an_open_order_is_made_and_its_fabric_bought_with_the_reasons(factory: None) -> None:
    order = submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))

    run = run_requirements(as_of=TODAY, horizon_days=60)

    make = run.orders.get(kind=PlannedKind.MAKE)
    buy = run.orders.get(kind=PlannedKind.BUY)
    assert (make.sku.code, make.quantity) == ("SHIRT", Decimal(80))  # 100 wanted, 20 in stock
    assert [(p.source, p.quantity) for p in make.pegs.all()] == [(f"order:{order.pk}", Decimal(80))]
    # 80 × 1.5 m = 120 m, 30 m in stock: 90 m, already a multiple of 10 and above 50
    assert (buy.sku.code, buy.quantity) == ("FABRIC", Decimal(90))
    # making should have started already (3 days before 3 March): the fabric is due today
    assert (make.due, make.start) == (date(2026, 3, 3), date(2026, 2, 28))
    assert (buy.due, buy.start) == (TODAY, TODAY - timedelta(days=10))
    assert run.summary == {"make": 1, "buy": 1, "late": 2, "demands": 1}  # starts are in the past


def test_the_forecast_adds_what_orders_do_not_already_cover(factory: None) -> None:
    forecast = ForecastRun.objects.create(as_of=TODAY, status=RunStatus.READY)
    shirt = Sku.objects.get(code="SHIRT")
    ForecastFigure.objects.bulk_create(
        ForecastFigure(
            run=forecast,
            sku=shirt,
            level=Level.DAY,
            period_start=TODAY + timedelta(days=n),
            statistical=Decimal(10),
            final=Decimal(10),
        )
        for n in range(21, 28)  # one whole ISO week, three weeks out
    )

    run = run_requirements(as_of=TODAY, horizon_days=60)

    make = run.orders.filter(kind=PlannedKind.MAKE)
    assert sum(o.quantity for o in make) == Decimal(50)  # 70 forecast, 20 in stock
    assert all(p.source == "forecast:2026-W13" for o in make for p in o.pegs.all())


def test_releasing_a_make_creates_the_production_order_with_its_operations(factory: None) -> None:
    submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))
    run = run_requirements(as_of=TODAY, horizon_days=60)
    make = run.orders.get(kind=PlannedKind.MAKE)

    released = release_planned_order(make.pk, actor=PLANNER, quantity=Decimal(90))

    assert isinstance(released, ProductionOrder)
    assert (released.sku.code, released.quantity, released.due) == ("SHIRT", 90, make.due)
    assert [(op.sequence, op.name, op.work_center.code) for op in released.operations.all()] == [
        (10, "Sew", "SEW")
    ]
    output = PlannedOutput.objects.get()
    assert (output.quantity, output.due_on, output.reference) == (90, make.due, released.number)
    make.refresh_from_db()
    assert (make.status, make.quantity, make.proposed_quantity) == (
        PlannedStatus.RELEASED,
        Decimal(90),
        Decimal(80),
    )
    with pytest.raises(PlanningError, match="already released"):
        release_planned_order(make.pk, actor=PLANNER)


def test_releasing_a_buy_expects_the_material_in_its_ledger_step(factory: None) -> None:
    submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))
    run = run_requirements(as_of=TODAY, horizon_days=60)
    buy = run.orders.get(kind=PlannedKind.BUY)

    release_planned_order(buy.pk, actor=PLANNER)

    incoming = IncomingStock.objects.get()
    assert (incoming.quantity, incoming.supplier, incoming.unit_cost) == (9000, "Mill", Decimal(20))


def test_a_requirements_run_is_a_job_with_progress(factory: None) -> None:
    submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))
    job = start_job(
        "planning.requirements", actor=PLANNER, as_of=TODAY.isoformat(), horizon_days=30
    )

    assert run_job(job.pk) == JobStatus.SUCCEEDED

    job = Job.objects.get(pk=job.pk)
    assert job.progress == 1.0
    result = job.result or {}
    assert result["make"] == 1
    assert PlannedOrder.objects.filter(run_id=result["run"]).count() == 2


def test_shipped_and_cancelled_orders_are_not_requirements(factory: None) -> None:
    shop = account("tmall")
    submit(shop, order_json("S-1", [("SHIRT", 100)], status="shipped"))
    submit(shop, order_json("C-1", [("SHIRT", 100)], status="cancelled"))

    run = run_requirements(as_of=timezone.localdate(), horizon_days=30)

    assert not run.orders.exists()


def test_the_command_line_makes_a_requirements_run_as_a_job(
    factory: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from omnioms.cli import build_parser

    submit(account("tmall"), order_json("T-1", [("SHIRT", 100)]))
    parser = build_parser()
    args = parser.parse_args(["plan", "requirements", "--as-of", TODAY.isoformat()])

    assert args.func(args) == 0

    printed = json.loads(capsys.readouterr().out)
    assert (printed["make"], printed["buy"]) == (1, 1)
    job = Job.objects.get(kind="planning.requirements")
    assert (job.status, job.created_by_label) == (JobStatus.SUCCEEDED, "omnioms plan requirements")


def test_the_command_line_names_a_bad_date_and_runs_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from omnioms.cli import build_parser

    args = build_parser().parse_args(["plan", "requirements", "--as-of", "2026-02-30"])

    assert args.func(args) == 2
    assert "--as-of: '2026-02-30' is not a date" in capsys.readouterr().err
    assert not Job.objects.exists()
