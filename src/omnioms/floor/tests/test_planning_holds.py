"""The planning holds started work where the floor runs it, not where the plan had it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnioms.floor.reporting import report_operation
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.planning.adapter import build_problem
from omnioms.planning.dispatching import dispatch
from omnioms.planning.model import check_plan
from omnioms.planning.models import PlannedOperation

pytestmark = pytest.mark.django_db


def test_two_sewing_jobs_planned_on_one_machine_and_started_on_two_are_held_on_two() -> None:
    """The plan had both shirts' sewing on line 0, one after the other; the operators started
    them side by side on lines 0 and 1. A new planning run must hold them on those lines
    (held on line 0 both, they would overlap and no plan could be made around them)."""
    floor = shop()
    first, second = production_order(floor, 50), production_order(floor, 50)
    sewing = [o.operations.get(sequence=20) for o in (first, second)]
    PlannedOperation.objects.filter(operation__in=sewing).update(machine=0)
    for order, op, machine in ((first, sewing[0], 0), (second, sewing[1], 1)):
        cut = order.operations.get(sequence=10)
        for n, kind in enumerate(("start", "finish")):
            report_operation(
                operation_id=cut.pk,
                report_id=f"{order.number}-cut-{kind}",
                kind=kind,
                at=START + timedelta(minutes=n * 60),
                actor=ACTOR,
                source="api",
                good=50 if kind == "finish" else 0,
            )
        report_operation(
            operation_id=op.pk,
            report_id=f"{order.number}-sew-start",
            kind="start",
            at=START + timedelta(minutes=90),
            actor=ACTOR,
            source="api",
            machine=machine,
        )

    adapted = build_problem(START + timedelta(hours=2))

    held = {
        op.id: op.fixed
        for order in adapted.problem.orders
        for op in order.operations
        if op.fixed is not None
    }
    assert sorted((f.work_center, f.machine) for f in held.values()) == [("SEW", 0), ("SEW", 1)]
    plan = dispatch(adapted.problem, "edd")
    assert check_plan(adapted.problem, plan) == []
