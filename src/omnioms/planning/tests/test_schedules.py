"""Planning runs from the database: the problem read, the plan stored, published and moved."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from omnioms.core.actor import Actor
from omnioms.core.jobs import run_job, start_job
from omnioms.core.models import Job, JobStatus, Location
from omnioms.inventory.models import IncomingStock, PlannedOutput
from omnioms.inventory.tests.factories import receive
from omnioms.planning.adapter import build_problem
from omnioms.planning.model import check_plan
from omnioms.planning.models import OperationStatus, Plan, PlanStatus
from omnioms.planning.schedules import (
    ScheduleError,
    copy_plan,
    engine_plan,
    move_operation,
    publish,
    run_schedule,
)
from omnioms.planning.tests.factories import MONDAY, SHANGHAI, production_order, shop

pytestmark = pytest.mark.django_db
FAST: dict[str, Any] = {"time_limit": 3.0, "workers": 1}


@pytest.fixture
def factory() -> None:
    shop()
    receive("FABRIC", Location.objects.get(code="wh-1"), 10_000)


def local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def test_a_planning_run_stores_a_proposed_plan_with_every_open_operation_in_working_time(
    factory: None,
) -> None:
    production_order("SHIRT", 30, date(2026, 12, 9))  # cut 30 min, sew 300 min
    production_order("BLOUSE", 30, date(2026, 12, 8))
    done = production_order("SHIRT", 10, date(2026, 12, 10))
    done.operations.update(status=OperationStatus.DONE)

    plan = run_schedule(MONDAY, **FAST)

    assert (plan.status, plan.version, plan.solver_status) == (PlanStatus.PROPOSED, 1, "optimal")
    rows = list(plan.operations.select_related("work_center", "operation__production_order"))
    assert len(rows) == 4  # the finished order is not planned
    for row in rows:
        start, _end = local(row.start), local(row.end)
        assert start >= MONDAY
        assert start.weekday() < 5
        assert 8 <= start.hour < 17
        assert not (12 <= start.hour < 13)
    by_order: dict[str, list] = {}
    for row in rows:
        by_order.setdefault(row.operation.production_order.number, []).append(row)
    for ops in by_order.values():
        cut, sew = sorted(ops, key=lambda r: r.operation.sequence)
        assert sew.start >= cut.end  # sewing after cutting
    figures = plan.objective
    assert figures["late"] == 0
    assert figures["on_time_share"] == 1.0
    assert figures["lower_bound_hours"] == 0.0
    assert figures["bottlenecks"][0] == "SEW"
    assert {row["work_center"] for row in figures["load"]} == {"CUT", "SEW"}


def test_a_running_operation_is_held_from_now_for_what_is_left_of_it(factory: None) -> None:
    order = production_order("SHIRT", 30, date(2026, 12, 9))
    cut = order.operations.get(sequence=10)
    cut.status, cut.good = OperationStatus.RUNNING, 15
    cut.save()

    adapted = build_problem(MONDAY)

    op = adapted.problem.orders[0].operations[0]
    assert op.fixed is not None
    assert (op.fixed.work_center, op.fixed.start, op.fixed.end) == ("CUT", 0, 15)
    assert op.id in adapted.held


def test_an_order_waits_for_its_fabric_and_one_without_fabric_is_listed_short(
    factory: None,
) -> None:
    from omnioms.inventory.models import StockBalance

    StockBalance.objects.filter(sku__code="FABRIC").update(on_hand=30)
    first = production_order("SHIRT", 30, date(2026, 12, 9), number="MO-A")
    first.priority = 90
    first.save()
    second = production_order("SHIRT", 30, date(2026, 12, 9), number="MO-B")
    IncomingStock.objects.create(
        sku=first.sku.__class__.objects.get(code="FABRIC"),
        location=first.location,
        quantity=30,
        expected_on=date(2026, 12, 10),
    )
    production_order("BLOUSE", 30, date(2026, 12, 11), number="MO-C")

    adapted = build_problem(MONDAY)

    # MO-A (higher priority) takes the 30 in stock; MO-B waits for Thursday's delivery
    thursday = datetime(2026, 12, 10, tzinfo=SHANGHAI)
    assert "MO-A" not in adapted.releases
    assert adapted.releases["MO-B"] == adapted.minute(thursday)
    assert adapted.short == {"MO-C": ["FABRIC"]}
    plan = run_schedule(MONDAY, score=False, **FAST)
    cut_b = plan.operations.get(operation__production_order=second, operation__sequence=10)
    assert cut_b.start >= thursday


def test_publishing_supersedes_the_published_plan_and_moves_the_planned_output(
    factory: None,
) -> None:
    order = production_order("SHIRT", 60, date(2026, 12, 20))
    first = run_schedule(MONDAY, **FAST)
    second = run_schedule(MONDAY, **FAST)

    publish(first, None)
    second = publish(second, None)

    first.refresh_from_db()
    assert (first.status, second.status) == (PlanStatus.SUPERSEDED, PlanStatus.PUBLISHED)
    assert Plan.objects.filter(status=PlanStatus.PUBLISHED).count() == 1
    end = max(r.end for r in second.operations.all())
    output = PlannedOutput.objects.get(reference=order.number)
    assert output.due_on == local(end).date()  # what promise dates read follows the plan
    with pytest.raises(ScheduleError, match="Only a proposed plan"):
        publish(first, None)


def test_a_move_is_refused_with_the_reason_or_accepted_with_its_knock_on(factory: None) -> None:
    production_order("SHIRT", 30, date(2026, 12, 9), number="MO-A")
    plan = run_schedule(MONDAY, **FAST)
    cut = plan.operations.get(operation__sequence=10)
    sew = plan.operations.get(operation__sequence=20)

    early = move_operation(plan, sew.pk, start=cut.start)
    assert not early.accepted
    assert "MO-A/20 would start before MO-A/10 ends" in early.reason

    later = cut.start + timedelta(days=1)
    moved = move_operation(plan, cut.pk, start=later)

    assert moved.accepted, moved.reason
    cut.refresh_from_db()
    sew.refresh_from_db()
    assert (cut.start, cut.fixed) == (later, True)  # firmed where it was dropped
    assert sew.start >= cut.end
    assert [k.label for k in moved.knock_on] == ["MO-A/20"]
    adapted = build_problem(plan=plan)
    assert check_plan(adapted.problem, engine_plan(adapted, plan)) == []


def test_only_a_proposed_plan_changes_and_a_copy_of_the_published_one_does(factory: None) -> None:
    production_order("SHIRT", 30, date(2026, 12, 9))
    plan = publish(run_schedule(MONDAY, **FAST), None)
    cut = plan.operations.get(operation__sequence=10)

    refused = move_operation(plan, cut.pk, start=cut.start + timedelta(days=1))
    assert not refused.accepted
    assert "copy" in refused.reason

    copy = copy_plan(plan)
    assert (copy.status, copy.based_on_id, copy.operations.count()) == ("proposed", plan.pk, 2)


def test_a_planning_run_is_a_job_with_progress(factory: None) -> None:
    production_order("SHIRT", 30, date(2026, 12, 9))
    job = start_job("planning.schedule", actor=Actor("user", "planner"), time_limit=2, workers=1)

    run_job(job.pk)

    job = Job.objects.get(pk=job.pk)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 1.0
    assert job.result is not None
    assert Plan.objects.get(pk=job.result["plan"]).job_id == job.pk


def test_omnioms_plan_schedule_prints_the_new_plan(
    factory: None, capsys: pytest.CaptureFixture[str]
) -> None:
    import argparse

    from omnioms.planning.cli import cmd_plan_schedule

    production_order("SHIRT", 30, date(2026, 12, 30))
    status = cmd_plan_schedule(
        argparse.Namespace(
            time_limit=2.0, workers=1, no_bottleneck_first=False, publish=True, json=False
        )
    )

    assert status == 0
    out = capsys.readouterr().out
    assert out.startswith("plan v1 (published): ")
    assert "0 late" in out


def test_the_time_limit_is_the_whole_run_reading_solving_and_writing(factory: None) -> None:
    import time

    for n in range(40):
        production_order("SHIRT" if n % 2 else "BLOUSE", 20 + n, date(2026, 12, 8 + n % 10))
    began = time.perf_counter()
    plan = run_schedule(MONDAY, time_limit=2.0, workers=2, score=True)
    took = time.perf_counter() - began
    assert plan.operations.count() == 80
    # generous (a loaded test machine must not make this flaky); the bench has the figure
    assert took < 2 * 2.0 + 1.0, took
    # the plan stores its seconds to a tenth: compare at that precision (0.95 s is stored as 1.0)
    assert plan.objective["seconds"] <= round(took, 1)
