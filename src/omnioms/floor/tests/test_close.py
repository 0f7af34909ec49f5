"""The daily close: plan against reports and the BOM, gaps opening exceptions, the exports."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.floor.close import run_daily_close
from omnioms.floor.materials import issue_material
from omnioms.floor.models import CloseLine, DailyClose, FloorException
from omnioms.floor.reporting import report_operation
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
DAY = date(2026, 12, 1)


def report(op_id: int, rid: str, kind: str, minutes: int, **extra: object) -> None:
    report_operation(
        operation_id=op_id,
        report_id=rid,
        kind=kind,
        at=START + timedelta(minutes=minutes),
        actor=ACTOR,
        source="api",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def day_of_work() -> int:
    """100 shirts planned: cutting 100 min then sewing 900 min from 08:00; cutting done
    with 10 scrapped, 20 % more fabric issued than the standard, sewing not started."""
    order = production_order(shop(), 100)
    cut = order.operations.get(sequence=10)
    issue_material(order.pk, sku="FABRIC", quantity=16_200, report_id="m1", actor=ACTOR, at=START)
    report(cut.pk, "c1", "start", 0)
    report(cut.pk, "c2", "finish", 110, good=90, scrap=10, scrap_reason="material")
    return order.pk


def test_the_close_compares_plan_reports_and_material_per_order_and_work_centre(
    day_of_work: int,
) -> None:
    close = run_daily_close(DAY)

    order_line = CloseLine.objects.get(close=close, production_order_id=day_of_work)
    # cutting (100 units) fits in the day; sewing runs from 09:40 for 900 min, 860 of them
    # before midnight in Shanghai: 100 + 95.6 operation units planned
    assert (order_line.good, order_line.scrap) == (90, 10)
    assert order_line.planned_quantity == 196
    assert order_line.reported_hours == Decimal("1.83")  # 110 minutes
    (fabric,) = [m for m in order_line.materials if m["sku"] == "FABRIC"]
    # 90 good × 1.5 m = 135 m standard; 162 m issued: +27 m, +20 %, 27 × 20 = 540 CNY
    assert (fabric["standard"], fabric["issued"]) == ("135", "162")
    assert (fabric["variance_percent"], fabric["variance_value"]) == ("20.0", "540.00")
    cut_line = CloseLine.objects.get(close=close, work_center__code="CUT")
    assert (cut_line.planned_quantity, cut_line.good) == (100, 90)


def test_gaps_beyond_tolerance_open_one_exception_each_with_an_owner(day_of_work: int) -> None:
    run_daily_close(DAY)
    run_daily_close(DAY)  # a close run again replaces the day's and opens nothing new

    kinds = sorted(FloorException.objects.values_list("type__code", flat=True))
    assert "material_variance" in kinds
    assert "scrap" in kinds
    assert "behind_plan" in kinds
    assert len(kinds) == len(set(FloorException.objects.values_list("key", flat=True)))
    assert DailyClose.objects.filter(day=DAY).count() == 1
    scrap = FloorException.objects.get(key=f"order:{day_of_work}:scrap")
    assert scrap.owner_role == "supervisor"
    assert scrap.events.get().kind == "opened"


def test_the_close_page_and_its_excel_and_pdf_exports(client: Client, day_of_work: int) -> None:
    run_daily_close(DAY)
    client.force_login(make_user(Role.SUPERVISOR))

    page = client.get(reverse("floor:close_day", args=["2026-12-01"]))
    xlsx = client.get(reverse("floor:close_export", args=["2026-12-01", "xlsx"]))
    pdf = client.get(reverse("floor:close_export", args=["2026-12-01", "pdf"]))

    assert page.status_code == 200
    assert "material_variance" in page.content.decode()
    assert xlsx.content[:2] == b"PK"
    assert pdf.content.startswith(b"%PDF")
    assert client.get(reverse("floor:close_day", args=["2026-13-01"])).status_code == 404


def test_the_close_runs_as_a_job_from_the_page(client: Client, day_of_work: int) -> None:
    from omnioms.core.jobs import run_job
    from omnioms.core.models import Job

    client.force_login(make_user(Role.SUPERVISOR))
    client.post(reverse("floor:closes"), {"day": "2026-12-01"})
    job = Job.objects.get(kind="floor.daily_close")
    run_job(job.pk)

    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert DailyClose.objects.get(day=DAY).summary["orders"] == 1


def test_the_worker_starts_the_close_once_the_sites_close_time_has_passed() -> None:
    from datetime import UTC, datetime

    from omnioms.core.models import Job
    from omnioms.floor.jobs import start_due_closes

    before = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai, close at 20:00
    after = datetime(2026, 12, 1, 12, 5, tzinfo=UTC)
    assert start_due_closes(before) == 0
    assert start_due_closes(after) == 1
    assert start_due_closes(after) == 0  # queued already
    assert Job.objects.get().params["day"] == "2026-12-01"


def test_work_in_progress_is_what_was_issued_to_orders_not_completed_that_day() -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from omnioms.floor.kpis import Period, _work_in_progress

    tz = ZoneInfo("Asia/Shanghai")
    moves = [
        (1, datetime(2026, 12, 1, 2, tzinfo=UTC), 1000, Decimal(20), 2),  # 10 m × 20 = 200
        (2, datetime(2026, 12, 2, 2, tzinfo=UTC), 50, Decimal(2), 0),  # 100
    ]
    completed = {1: datetime(2026, 12, 3, 2, tzinfo=UTC)}

    wip = _work_in_progress(moves, completed, Period(date(2026, 12, 1), date(2026, 12, 4), tz))

    assert [wip[date(2026, 12, d)] for d in (1, 2, 3, 4)] == [200, 300, 100, 100]


@pytest.mark.django_db
def test_a_day_has_one_close_for_all_sites_on_either_database() -> None:
    DailyClose.objects.create(day=date(2026, 12, 1))

    with pytest.raises(IntegrityError), transaction.atomic():
        DailyClose.objects.create(day=date(2026, 12, 1))

    DailyClose.objects.create(day=date(2026, 12, 2))  # the next day has its own
    assert DailyClose.objects.count() == 2


def test_a_kit_issued_at_release_is_no_variance_before_cutting_finishes() -> None:
    """150 m of fabric issued for 100 shirts (1.5 m each) before cutting starts: on standard."""
    order = production_order(shop(), 100)
    issue_material(order.pk, sku="FABRIC", quantity=15_000, report_id="k1", actor=ACTOR, at=START)

    close = run_daily_close(DAY)

    line = CloseLine.objects.get(close=close, production_order_id=order.pk)
    (fabric,) = [m for m in line.materials if m["sku"] == "FABRIC"]
    assert (fabric["standard"], fabric["issued"], fabric["variance_percent"]) == (
        "150",
        "150",
        "0.0",
    )


def test_back_flushed_buttons_are_on_standard_when_sewing_scraps_shirts() -> None:
    """Cut 100, sewn 95 good and 5 scrapped: the back-flush takes buttons for the 95; the close
    judges them against the same 95, not against the 100 cut (a variance of -5 % before)."""
    order = production_order(shop(), 100)
    cut, sew = order.operations.get(sequence=10), order.operations.get(sequence=20)
    issue_material(order.pk, sku="FABRIC", quantity=15_000, report_id="k1", actor=ACTOR, at=START)
    report(cut.pk, "c1", "start", 0)
    report(cut.pk, "c2", "finish", 100, good=100)
    report(sew.pk, "s1", "start", 110)
    report(sew.pk, "s2", "finish", 600, good=95, scrap=5, scrap_reason="operator")

    close = run_daily_close(DAY)

    line = CloseLine.objects.get(close=close, production_order_id=order.pk)
    (buttons,) = [m for m in line.materials if m["sku"] == "BUTTON"]
    assert (buttons["standard"], buttons["issued"], buttons["variance_percent"]) == (
        "760",
        "760",
        "0.0",
    )
