"""The date committed to the customer: written when an order arrives, moved only by agreement,
and what OTD and T-3 count from (issue 13)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.channels.adapters.douyin import ADAPTER as DOUYIN
from omnioms.channels.tests.adapter_helpers import fixture_reader, normalizer
from omnioms.core.roles import Role
from omnioms.floor.kpis import Period, order_lines
from omnioms.floor.models import CommitDate, FloorException, PromiseRule
from omnioms.floor.t3 import answer_t3, scan_t3
from omnioms.inventory.models import IncomingStock
from omnioms.inventory.tests.factories import (
    ACTOR,
    account,
    order_json,
    receive,
    sku,
    submit,
    warehouse,
)
from omnioms.kpi import otd
from omnioms.orders.domain import make_shipment
from omnioms.orders.services import ship_order
from omnioms.production.models import Calendar, CalendarDay, Shift
from omnioms.sync.services import submit_order
from omnioms.testing import api_as, make_user

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
# order_json places orders on 2026-03-01 (a Sunday) at 10:00 Beijing time.


def commit_of(order_id: int) -> CommitDate:
    return CommitDate.objects.get(order_id=order_id)


def test_a_douyin_order_is_committed_for_the_ship_by_time_the_platform_sent() -> None:
    normalized = normalizer(DOUYIN)(fixture_reader("douyin")("order_detail_paid_gift.json"))
    assert normalized.ship_by == datetime(2024, 3, 3, 0, 30, tzinfo=UTC)  # exp_ship_time

    payload = submit_order(account("dy", platform="douyin"), normalized, actor=ACTOR)
    payload.refresh_from_db()
    assert payload.order_id is not None

    commit = commit_of(payload.order_id)
    # 00:30 UTC is 08:30 on 3 March in Beijing, the account's zone
    assert (commit.committed_on, commit.original_on, commit.source) == (
        date(2024, 3, 3),
        date(2024, 3, 3),
        "channel",
    )


def test_an_order_with_a_deadline_in_its_normalised_form_is_committed_for_that_day() -> None:
    order = submit(account(), order_json("D-1", ship_by="2026-03-05T16:30:00Z"))
    # 16:30 UTC on the 5th is already the 6th in Beijing
    assert commit_of(order.pk).committed_on == date(2026, 3, 6)


def test_without_a_deadline_the_default_promise_is_three_days_after_the_order() -> None:
    order = submit(account(), order_json("P-1"))

    commit = commit_of(order.pk)
    assert (commit.committed_on, commit.source) == (date(2026, 3, 4), "promise_days")


def test_the_accounts_promise_days_count_working_days_of_its_calendar() -> None:
    week = Calendar.objects.create(code="office", name="Office")
    for weekday in range(5):
        Shift.objects.create(calendar=week, weekday=weekday, start=time(9), end=time(18))
    CalendarDay.objects.create(calendar=week, date=date(2026, 3, 3), kind="holiday")
    shop = account("shop")
    PromiseRule.objects.create(account=shop, promise_days=3, calendar=week)
    PromiseRule.objects.create(account=None, promise_days=10)

    mine = submit(shop, order_json("W-1"))
    other = submit(account("other"), order_json("W-2"))

    # Sunday 1 March + 3 working days: Mon 2, (holiday Tue 3), Wed 4, Thu 5
    assert commit_of(mine.pk).committed_on == date(2026, 3, 5)
    assert commit_of(other.pk).committed_on == date(2026, 3, 11)  # the default rule


def test_without_promise_days_the_date_available_to_promise_is_committed() -> None:
    wh = warehouse()
    receive("CUP", wh, 2)
    arriving = timezone.localdate() + timedelta(days=20)
    IncomingStock.objects.create(sku=sku("CUP"), location=wh, quantity=50, expected_on=arriving)
    keyed_in = account("counter")
    PromiseRule.objects.create(account=keyed_in, promise_days=None)

    in_stock = submit(keyed_in, order_json("A-1", [("CUP", 2)]))
    short = submit(keyed_in, order_json("A-2", [("CUP", 5)]))

    assert (commit_of(in_stock.pk).committed_on, commit_of(in_stock.pk).source) == (
        date(2026, 3, 1),
        "available",
    )
    assert commit_of(short.pk).committed_on == arriving  # when the stock comes in


def test_a_redelivered_or_changed_order_keeps_its_first_commit_date() -> None:
    shop = account()
    data = order_json("R-1", ship_by="2026-03-05T02:00:00Z")
    order = submit(shop, data)
    submit(shop, data)  # the same delivery again
    later = {**data, "updated_at": "2026-03-02T00:00:00Z", "ship_by": "2026-03-20T02:00:00Z"}
    assert submit(shop, later).pk == order.pk

    (commit,) = CommitDate.objects.filter(order=order)
    assert (commit.committed_on, commit.original_on) == (date(2026, 3, 5), date(2026, 3, 5))


def test_an_order_that_arrives_cancelled_gets_no_commit_date() -> None:
    order = submit(account(), order_json("C-1", status="cancelled"))
    assert not CommitDate.objects.filter(order=order).exists()


def test_a_new_date_agreed_through_t3_moves_the_commit_and_otd_counts_from_it() -> None:
    wh = warehouse()
    sku("MUG")
    order = submit(account(), order_json("T-1", [("MUG", 3)]))  # nothing in stock: backorder
    assert commit_of(order.pk).committed_on == date(2026, 3, 4)

    scan_t3(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # 4 March minus 3 days has come
    exc = FloorException.objects.get(type__code="t3", customer_order=order)
    answer_t3(exc.pk, user=make_user(Role.MANAGER), recovery="new_date", new_date="2026-03-10")

    commit = commit_of(order.pk)
    assert (commit.committed_on, commit.original_on) == (date(2026, 3, 10), date(2026, 3, 4))
    assert commit.agreed_at is not None

    receive("MUG", wh, 3)
    shipped = datetime(2026, 3, 8, 10, 0, tzinfo=SHANGHAI)
    ship_order(order.pk, make_shipment("SF", "SF1", shipped_at=shipped), actor=ACTOR)
    march = Period(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI)
    figures = otd(order_lines(march))
    # shipped on the 8th: late against the first date, on time against the agreed one
    assert (figures.lines, figures.on_time) == (1, 1)


def test_the_order_page_and_the_api_show_the_committed_date(client: Client) -> None:
    order = submit(account(), order_json("S-1", ship_by="2026-03-05T02:00:00Z"))
    user = make_user(Role.MANAGER)
    client.force_login(user)

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    api = api_as(Client(), user).get(f"/orders/{order.pk}")

    assert "2026-03-05" in page
    assert json.loads(api.content)["commit_date"] == {
        "committed_on": "2026-03-05",
        "original_on": "2026-03-05",
        "agreed_at": None,
        "agreed_by": "",
    }


def test_the_account_page_sets_promise_days_and_the_t3_days(client: Client) -> None:
    from omnioms.floor.models import T3Rule

    shop = account("web-shop", platform="shopify")
    client.force_login(make_user(Role.MANAGER))
    url = reverse("web:settings_account", args=[shop.name])
    page = client.get(url).content.decode()
    assert 'name="commit-promise_days"' in page

    form = {
        "name": shop.name,
        "platform": shop.platform,
        "display_name": "Web shop",
        "time_zone": shop.time_zone,
        "default_currency": shop.default_currency,
        "is_active": "on",
        "commit-promise_days": "5",
        "commit-t3_days": "2",
    }
    bad = client.post(url, {**form, "commit-promise_days": "-1"})
    assert bad.status_code == 400
    client.post(url, form)

    assert PromiseRule.objects.get(account=shop).promise_days == 5
    assert T3Rule.objects.get(account=shop).days == 2
    order = submit(shop, order_json("AP-1"))
    assert commit_of(order.pk).committed_on == date(2026, 3, 6)

    # Saved without them (empty fields): back to the defaults, nothing else lost
    client.post(url, {**form, "commit-promise_days": "", "commit-t3_days": ""})
    assert not PromiseRule.objects.filter(account=shop).exists()
    assert not T3Rule.objects.filter(account=shop).exists()
    client.post(url, {**form, "commit-use_available": "on"})
    assert PromiseRule.objects.get(account=shop).promise_days is None


def test_an_order_the_channel_reports_shipped_is_delivered_on_the_day_the_channel_says() -> None:
    """A marketplace order shipped by the platform's logistics arrives as a status only: OTD
    counts it delivered on the channel's update time, not the day omnioms heard of it."""
    receive("MUG", warehouse(), 5)
    shop = account()
    submit(shop, order_json("CH-1", [("MUG", 1)], minute=0))  # placed 1 March, committed 4 March
    two_days = 2 * 24 * 3600
    submit(shop, order_json("CH-1", [("MUG", 1)], minute=0, status="shipped", version=two_days))

    lines = order_lines(Period(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI))

    assert [d.on for d in lines[0].deliveries] == [date(2026, 3, 3)]  # 10:00 Beijing, 3 March
    assert (otd(lines).lines, otd(lines).on_time) == (1, 1)


def test_a_sale_that_arrives_completed_is_delivered_when_the_channel_says() -> None:
    """A store's sale is handed over at the counter: the order arrives completed, with no
    status change and no shipment; it is delivered on the channel's update time."""
    receive("MUG", warehouse(), 5)
    submit(account(), order_json("POS-1", [("MUG", 1)], minute=0, status="completed"))

    lines = order_lines(Period(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI))

    assert [d.on for d in lines[0].deliveries] == [date(2026, 3, 1)]
    assert (otd(lines).lines, otd(lines).on_time) == (1, 1)


def test_a_marketplace_order_heard_of_completed_counts_from_the_time_the_channel_shipped_it() -> (
    None
):
    """A Tmall trade pulled once it was finished (the buyer confirmed days after the parcel
    left): OTD counts it delivered on the channel's shipment time (``consign_time``), not on
    the day it was finished, nor the day omnioms heard of it."""
    receive("MUG", warehouse(), 5)
    shop = account()
    twelve_days = 12 * 24 * 3600
    shipped_next_day = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)
    submit(
        shop,
        order_json(
            "TB-1",
            [("MUG", 1)],
            minute=0,  # placed 1 March, committed 4 March
            status="completed",
            version=twelve_days,  # the channel last updated it on 13 March
            shipped_at=shipped_next_day.isoformat().replace("+00:00", "Z"),
        ),
    )

    lines = order_lines(Period(date(2026, 3, 1), date(2026, 3, 31), SHANGHAI))

    assert [d.on for d in lines[0].deliveries] == [date(2026, 3, 2)]
    assert (otd(lines).lines, otd(lines).on_time) == (1, 1)
