"""Reports from the floor: each applied once, contradictions refused, stock follows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from omnioms.floor.domain import FloorError
from omnioms.floor.materials import issue_material, return_material
from omnioms.floor.models import MaterialMovement, OperationReport, StateInterval
from omnioms.floor.reporting import report_operation
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.inventory.models import PlannedOutput, StockBalance, SupplyStatus
from omnioms.planning.models import ProductionStatus

pytestmark = pytest.mark.django_db


def report(op_id: int, rid: str, kind: str, minutes: int, **extra: object):
    return report_operation(
        operation_id=op_id,
        report_id=rid,
        kind=kind,
        at=START + timedelta(minutes=minutes),
        actor=ACTOR,
        source="api",
        **extra,  # type: ignore[arg-type]
    )


def on_hand(code: str) -> int:
    return StockBalance.objects.get(sku__code=code).on_hand


def test_a_job_started_paused_resumed_and_finished_counts_its_good_and_scrap() -> None:
    order = production_order(shop(), 100)
    cut = order.operations.get(sequence=10)

    report(cut.pk, "r1", "start", 0)
    report(cut.pk, "r2", "pause", 30, pause_reason="breakdown")
    report(cut.pk, "r3", "resume", 45)
    report(cut.pk, "r4", "finish", 120, good=97, scrap=3, scrap_reason="material")

    cut.refresh_from_db()
    order.refresh_from_db()
    assert (cut.status, cut.good, cut.scrap) == ("done", 97, 3)
    assert order.status == ProductionStatus.IN_PROGRESS
    states = list(StateInterval.objects.values_list("state", "produced", "scrap"))
    assert states == [("producing", 0, 0), ("breakdown", 0, 0), ("producing", 100, 3)]
    assert cut.floor_progress.finished_at == START + timedelta(minutes=120)


def test_the_same_report_sent_twice_is_applied_once() -> None:
    order = production_order(shop(), 100)
    cut = order.operations.get(sequence=10)
    report(cut.pk, "r1", "start", 0)

    first = report(cut.pk, "tap", "output", 10, good=5)
    again = report(cut.pk, "tap", "output", 10, good=5)

    cut.refresh_from_db()
    assert (first.created, again.created) == (True, False)
    assert cut.good == 5
    assert OperationReport.objects.filter(report_id="tap").count() == 1


def test_a_report_id_reused_for_different_content_is_refused() -> None:
    cut = production_order(shop(), 100).operations.get(sequence=10)
    report(cut.pk, "r1", "start", 0)
    report(cut.pk, "r2", "output", 10, good=5)

    with pytest.raises(FloorError, match="already applied with different content"):
        report(cut.pk, "r2", "output", 10, good=6)


def test_finishing_more_than_came_from_the_previous_operation_is_refused() -> None:
    order = production_order(shop(), 100)
    cut, sew = order.operations.order_by("sequence")
    report(cut.pk, "c1", "start", 0)
    report(cut.pk, "c2", "output", 60, good=40)
    report(sew.pk, "s1", "start", 61)

    with pytest.raises(FloorError, match=r"more finished than started.*only 40 came from"):
        report(sew.pk, "s2", "finish", 90, good=41)

    sew.refresh_from_db()
    assert (sew.status, sew.good) == ("running", 0)


def test_a_finish_before_the_start_and_a_finish_of_a_job_never_started_are_refused() -> None:
    cut = production_order(shop(), 100).operations.get(sequence=10)
    with pytest.raises(FloorError, match="cannot finish an operation that is waiting"):
        report(cut.pk, "f0", "finish", 10, good=1)
    report(cut.pk, "r1", "start", 60)

    with pytest.raises(FloorError, match="before the operation's last report"):
        report(cut.pk, "f1", "finish", 30, good=1)


def test_a_pause_needs_a_reason_and_scrap_needs_one_too() -> None:
    cut = production_order(shop(), 100).operations.get(sequence=10)
    report(cut.pk, "r1", "start", 0)
    with pytest.raises(FloorError, match="say why the job stops"):
        report(cut.pk, "p", "pause", 5)
    with pytest.raises(FloorError, match="say why the scrap"):
        report(cut.pk, "o", "output", 5, scrap=2)


def test_the_last_operation_finished_receives_the_shirts_and_backflushes_the_buttons() -> None:
    order = production_order(shop(), 100)
    cut, sew = order.operations.order_by("sequence")
    issue_material(order.pk, sku="FABRIC", quantity=15_500, report_id="m1", actor=ACTOR)
    report(cut.pk, "c1", "start", 0)
    report(cut.pk, "c2", "finish", 100, good=98, scrap=2, scrap_reason="material")
    report(sew.pk, "s1", "start", 101)

    report(sew.pk, "s2", "finish", 900, good=96, scrap=2, scrap_reason="machine")

    order.refresh_from_db()
    assert order.status == ProductionStatus.COMPLETED
    assert on_hand("SHIRT") == 96
    assert on_hand("BUTTON") == 10_000 - 96 * 8  # back-flushed for the good shirts
    assert on_hand("FABRIC") == 100_000 - 15_500  # issued by hand, not back-flushed
    planned = PlannedOutput.objects.get(pk=order.planned_output_id or 0)
    assert planned.status == SupplyStatus.DONE


def test_unused_material_returns_to_stock_but_not_more_than_was_issued() -> None:
    order = production_order(shop(), 100)
    issue_material(order.pk, sku="FABRIC", quantity=16_000, report_id="m1", actor=ACTOR)
    issue_material(order.pk, sku="FABRIC", quantity=16_000, report_id="m1", actor=ACTOR)

    return_material(order.pk, sku="FABRIC", quantity=1_000, report_id="m2", actor=ACTOR)

    assert on_hand("FABRIC") == 100_000 - 15_000
    assert sorted(MaterialMovement.objects.values_list("quantity", flat=True)) == [-1000, 16000]
    with pytest.raises(FloorError, match="only 15000 of FABRIC were issued"):
        return_material(order.pk, sku="FABRIC", quantity=15_001, report_id="m3", actor=ACTOR)
