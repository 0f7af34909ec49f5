"""Demand per SKU and day, counted from the unified orders and kept exact as they change."""

from __future__ import annotations

from datetime import date

import pytest

from omnioms.core.worker import run_once
from omnioms.forecasting.history import (
    daily_demand,
    import_demand_history,
    rebuild_demand,
    recount_due,
)
from omnioms.forecasting.models import DemandDay, DemandDayToRecount
from omnioms.inventory.tests.factories import account, order_json, sku, submit

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 1)  # the factories' orders are placed on 1 March, 10:00 Beijing


@pytest.fixture(autouse=True)
def catalogue() -> None:
    for code in ("TEE", "CAP"):
        sku(code)


def demand() -> dict[tuple[str, date], int]:
    recount_due()
    return {(code, day): n for code, day, n in daily_demand(date(2026, 1, 1), date(2026, 12, 31))}


def test_an_order_is_demand_of_the_day_it_was_placed_on() -> None:
    shop = account("tmall")
    submit(shop, order_json("T-1", [("TEE", 2), ("CAP", 1)]))
    submit(shop, order_json("T-2", [("TEE", 3)]))

    assert demand() == {("CAP", DAY): 1, ("TEE", DAY): 5}
    assert DemandDay.objects.get(sku__code="TEE").orders == 2


def test_a_day_is_the_business_day_in_beijing_not_the_utc_date() -> None:
    shop = account("tmall")
    late = order_json("T-1", [("TEE", 1)], created_at="2026-03-01T17:30:00Z")  # 01:30 on the 2nd

    submit(shop, late)

    assert demand() == {("TEE", date(2026, 3, 2)): 1}


def test_drafts_cancelled_and_refunded_orders_are_not_demand() -> None:
    shop = account("tmall")
    submit(shop, order_json("Q-1", [("TEE", 4)], status="draft"))
    submit(shop, order_json("C-1", [("TEE", 5)], status="cancelled"))
    submit(shop, order_json("R-1", [("TEE", 6)], status="refunded"))
    submit(shop, order_json("P-1", [("TEE", 1)]))

    assert demand() == {("TEE", DAY): 1}


def test_refunded_units_are_taken_off_and_a_later_refund_corrects_the_day() -> None:
    shop = account("tmall")
    submit(shop, order_json("P-1", [{"sku": "TEE", "quantity": 5, "refunded_quantity": 1}]))
    assert demand() == {("TEE", DAY): 4}

    later = [{"sku": "TEE", "quantity": 5, "refunded_quantity": 3}]
    submit(shop, order_json("P-1", later, version=3600))

    assert DemandDayToRecount.objects.filter(day=DAY).exists()
    assert demand() == {("TEE", DAY): 2}


def test_a_cancellation_after_the_day_takes_the_order_out_of_its_day() -> None:
    shop = account("tmall")
    submit(shop, order_json("P-1", [("TEE", 2)], status="pending_payment"))
    assert demand() == {("TEE", DAY): 2}

    submit(shop, order_json("P-1", [("TEE", 2)], status="cancelled", version=3600))

    assert demand() == {}


def test_a_bundle_is_demand_of_its_components() -> None:
    sku("SET", components=[("TEE", 2), ("CAP", 1)])
    shop = account("tmall")
    submit(shop, order_json("P-1", [("SET", 3)]))
    sent = {"sku": "GIFT", "quantity": 1, "components": [{"sku": "CAP", "quantity": 4}]}
    sku("GIFT")
    submit(shop, order_json("P-2", [sent]))  # the channel's own parts win over the catalogue's

    assert demand() == {("TEE", DAY): 6, ("CAP", DAY): 7}


def test_every_channel_adds_up_and_each_keeps_its_own_row() -> None:
    submit(account("tmall"), order_json("T-1", [("TEE", 2)]))
    submit(account("douyin"), order_json("D-1", [("TEE", 3)]))

    assert demand() == {("TEE", DAY): 5}
    assert sorted(DemandDay.objects.values_list("quantity", flat=True)) == [2, 3]


def test_the_worker_counts_marked_days_and_a_rebuild_counts_a_whole_range() -> None:
    submit(account("tmall"), order_json("T-1", [("TEE", 2)]))

    run_once()
    assert DemandDay.objects.get().quantity == 2
    assert not DemandDayToRecount.objects.exists()

    DemandDay.objects.all().delete()
    assert rebuild_demand(date(2026, 2, 27), date(2026, 3, 3)) == 1
    assert DemandDay.objects.get().quantity == 2


def test_imported_history_counts_only_where_no_order_of_that_sku_and_day_is_known() -> None:
    shop = account("tmall")
    submit(shop, order_json("T-1", [("TEE", 2)]))
    text = "sku,date,quantity\nTEE,2026-02-28,7\nTEE,2026-03-01,9\nCAP,2026-02-28,1\n"

    report = import_demand_history(text, account=shop)

    assert report.problems == []
    assert report.written == 3
    assert demand() == {
        ("TEE", date(2026, 2, 28)): 7,
        ("CAP", date(2026, 2, 28)): 1,
        ("TEE", DAY): 2,  # the order omnioms knows wins over the file's 9
    }
    rebuild_demand(date(2026, 2, 28), DAY)  # a recount keeps imported history
    assert demand()[("TEE", date(2026, 2, 28))] == 7


def test_a_bad_history_row_is_named_and_nothing_is_imported() -> None:
    report = import_demand_history(
        "sku,date,quantity\nTEE,2026-02-28,7\nTEE,28/02/2026,1\nSOCK,2026-02-28,1\n",
        account=account("tmall"),
    )

    assert report.problems == [
        "row 3: date must be YYYY-MM-DD and quantity a whole number",
        "no SKU 'SOCK'",
    ]
    assert not DemandDay.objects.exists()
