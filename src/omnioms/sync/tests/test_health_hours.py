"""The channel health page without false warnings: stores judged by their opening hours,
accounts created after their history, accounts not connected to their platform, and failed
pushes of what a channel may sell shown with their reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from omnioms.channels.models import ChannelAccount, SyncState
from omnioms.core.models import Location, LocationKind
from omnioms.core.roles import Role
from omnioms.inventory.availability import PushProblem
from omnioms.inventory.models import AvailabilityOutbox, OutboxState
from omnioms.inventory.tests.factories import receive, warehouse
from omnioms.sync.health import AccountHealth, AlertKind, SyncFacts, assess, channel_health
from omnioms.sync.opening_hours import (
    DEFAULT_STORE_HOURS,
    OpeningHours,
    configured_hours,
    hours_for,
)
from omnioms.web.tests.factories import make_account, make_user, order_data, submit

BEIJING = ZoneInfo("Asia/Shanghai")


def beijing(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in December 2026 (the 7th is a Monday), Beijing."""
    return datetime(2026, 12, day, hour, minute, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def _english_in_beijing(settings: object) -> Iterator[None]:
    settings.TIME_ZONE = "Asia/Shanghai"  # type: ignore[attr-defined]
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        yield


def kinds(item: AccountHealth) -> list[str]:
    return [alert.kind for alert in item.alerts]


def store_account(platform: str = "pos_csv", **options: object) -> ChannelAccount:
    store = Location(code="store-sh", name="Shanghai store", kind=LocationKind.STORE)
    return ChannelAccount(
        name="pos-sh", platform=platform, location=store, options={"health": options}
    )


# ----------------------------------------------------------------------------------------------
# Opening hours (pure)


def test_open_time_counts_only_the_hours_a_store_is_open() -> None:
    hours = OpeningHours(opens=time(10), closes=time(22))

    # 21:30 to 09:00 the next morning: half an hour open.
    assert hours.open_time(beijing(7, 21, 30), beijing(8, 9), BEIJING) == timedelta(minutes=30)
    # 21:30 to 15:00 the next day: half an hour, then 10:00 to 15:00.
    assert hours.open_time(beijing(7, 21, 30), beijing(8, 15), BEIJING) == timedelta(hours=5.5)
    assert hours.open_time(beijing(8, 15), beijing(7, 21), BEIJING) == timedelta(0)
    assert hours.is_open(beijing(8, 15), BEIJING)
    assert not hours.is_open(beijing(8, 23), BEIJING)


def test_a_store_open_past_midnight_and_closed_on_mondays() -> None:
    late = OpeningHours(opens=time(18), closes=time(2), days=(1, 2, 3, 4, 5, 6))

    # Sunday 18:00 to Monday 02:00 belongs to Sunday; Monday evening it stays closed.
    assert late.open_time(beijing(6, 12), beijing(7, 23), BEIJING) == timedelta(hours=8)
    assert late.day_length() == timedelta(hours=8)
    assert late.text() == "18:00–02:00 (Tue, Wed, Thu, Fri, Sat, Sun)"


def test_open_time_is_real_time_across_a_change_of_clocks() -> None:
    hours = OpeningHours(opens=time(0), closes=time(23, 59))
    zone = ZoneInfo("America/Los_Angeles")
    start = datetime(2026, 3, 8, 0, 30, tzinfo=zone)  # clocks go forward at 02:00
    end = datetime(2026, 3, 8, 4, 30, tzinfo=zone)

    assert hours.open_time(start, end, zone) == timedelta(hours=3)


def test_an_accounts_own_hours_win_and_a_store_has_the_default() -> None:
    own = {"health": {"opening_hours": {"opens": "09:00", "closes": "21:30", "days": [0, 1]}}}

    assert configured_hours(own) == OpeningHours(time(9), time(21, 30), (0, 1))
    assert hours_for({}, at_store=True) == DEFAULT_STORE_HOURS
    assert hours_for({}, at_store=False) is None
    for bad in ("10-22", {"opens": "10:00"}, {"opens": "10", "closes": "22:00"},
                {"opens": "10:00", "closes": "22:00", "days": [7]},
                {"opens": "10:00", "closes": "10:00"}):  # fmt: skip
        with pytest.raises(ValueError, match="is not opening hours"):
            configured_hours({"health": {"opening_hours": bad}})


# ----------------------------------------------------------------------------------------------
# Judging a store


def test_a_closed_store_is_not_silent_at_night() -> None:
    item = AccountHealth(
        account=store_account(platform="manual"),
        last_order_at=beijing(7, 21, 40),
        recent_orders=2800,  # busy: the floor of 6 hours applies
    )

    assess(item, beijing(8, 9, 55), window=timedelta(days=28))

    assert kinds(item) == []
    assert item.silent_for == timedelta(minutes=20)
    assert item.open_now is False


def test_a_store_is_silent_after_six_open_hours_without_an_order() -> None:
    item = AccountHealth(
        account=store_account(platform="manual"), last_order_at=beijing(7, 21), recent_orders=2800
    )

    assess(item, beijing(8, 16, 30), window=timedelta(days=28))

    assert kinds(item) == [AlertKind.SILENT]
    assert item.alerts[0].message == (
        "Silent: no order for 7 h 30 min of opening hours (expected one within 6 h 0 min)."
    )


def test_a_store_fed_by_a_daily_file_is_not_silent_at_any_hour_before_the_next_file() -> None:
    """Its sales of a day come in one file after closing (the demo imports it at 22:30)."""
    account = store_account()  # pos_csv
    last_sale, file_imported = beijing(7, 21, 22), beijing(7, 22, 30)
    at = file_imported
    while at < file_imported + timedelta(days=1):
        item = AccountHealth(account=account, last_order_at=last_sale, recent_orders=190)
        assess(item, at, window=timedelta(days=28))
        assert kinds(item) == [], at
        at += timedelta(minutes=15)
    # A day's file missing: silent by the end of the day after.
    item = AccountHealth(account=account, last_order_at=last_sale, recent_orders=190)
    assess(item, beijing(9, 21), window=timedelta(days=28))
    assert kinds(item) == [AlertKind.SILENT]


def test_an_accounts_own_hours_and_threshold_are_used() -> None:
    account = store_account(
        platform="manual",
        silence_after_hours=2,
        opening_hours={"opens": "08:00", "closes": "12:00", "days": [0, 1, 2, 3, 4, 5, 6]},
    )
    item = AccountHealth(account=account, last_order_at=beijing(8, 9), recent_orders=10)

    assess(item, beijing(8, 20), window=timedelta(days=28))

    assert item.silent_for == timedelta(hours=3)  # 09:00 to noon
    assert item.silence_threshold == timedelta(hours=2)
    assert kinds(item) == [AlertKind.SILENT]


def test_bad_opening_hours_are_a_warning_and_a_stores_default_applies() -> None:
    item = AccountHealth(
        account=store_account(platform="manual", opening_hours="always"),
        last_order_at=beijing(7, 21, 40),
        recent_orders=2800,
    )

    assess(item, beijing(8, 9), window=timedelta(days=28))

    assert kinds(item) == [AlertKind.SETTING]
    assert item.opening_hours == DEFAULT_STORE_HOURS


# ----------------------------------------------------------------------------------------------
# Connections and pushes (pure)


def test_an_account_not_connected_is_not_warned_about_old_polls_or_pushes() -> None:
    facts = {
        "sync": SyncFacts(last_poll_error="no base_url", failures=3),
        "push_problem": PushProblem(
            skus_waiting=3, since=beijing(7, 9), last_error="HTTP 401", given_up=0
        ),
    }
    shop = ChannelAccount(name="shop", platform="shopify", options={})
    connected = AccountHealth(account=shop, connected=True, **facts)  # type: ignore[arg-type]
    not_connected = AccountHealth(account=shop, connected=False, **facts)  # type: ignore[arg-type]

    assess(connected, beijing(7, 12))
    assess(not_connected, beijing(7, 12))

    assert kinds(connected) == [AlertKind.POLL_FAILING, AlertKind.PUSH_FAILING]
    assert connected.alerts[1].message == (
        "What the channel may sell is not getting through: 3 SKUs wait since 2026-12-07 09:00."
        " Last error: HTTP 401"
    )
    assert kinds(not_connected) == []


# ----------------------------------------------------------------------------------------------
# Measured from the database

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 16:00 in Beijing


@pytest.mark.django_db
def test_an_account_created_after_its_history_is_judged_by_its_orders() -> None:
    """The demo creates its accounts and then sends them six months of orders."""
    shop = make_account("shopify-global", platform="shopify")
    ChannelAccount.objects.update(created_at=NOW - timedelta(minutes=5))
    for n in range(40):  # one order every 17 hours, the last 28 hours ago
        submit(shop, order_data(f"S-{n}", created_at=NOW - timedelta(hours=28 + 17 * n)))

    (item,) = channel_health(now=NOW).accounts

    assert kinds(item) == []
    assert item.silence_threshold is not None
    assert item.silence_threshold > timedelta(days=3)


@pytest.mark.django_db
def test_failed_pushes_show_with_their_reason_and_count_and_not_connected_accounts_do_not(
    client: Client,
) -> None:
    wh = warehouse()
    connected = make_account("tmall", platform="taobao", display_name="Tmall")
    connected.location, connected.api_credentials = wh, {"base_url": "http://x", "app_key": "k"}
    connected.save()
    idle = make_account("douyin", platform="douyin", display_name="Douyin")
    idle.location = wh
    idle.save()
    receive("A", wh, 5)
    receive("B", wh, 5)
    AvailabilityOutbox.objects.update(
        state=OutboxState.FAILED, attempts=1, last_error="isv.invalid-permission"
    )
    SyncState.objects.create(account=idle, last_poll_error="missing app_key", failures=9)

    report = channel_health(now=timezone.now())

    by_name = {item.account.name: item for item in report.accounts}
    assert kinds(by_name["tmall"]) == [AlertKind.PUSH_FAILING]
    assert "2 SKUs wait since" in by_name["tmall"].alerts[0].message
    assert by_name["tmall"].alerts[0].message.endswith("Last error: isv.invalid-permission")
    assert (by_name["douyin"].connected, kinds(by_name["douyin"])) == (False, [])
    client.force_login(make_user("boss", Role.MANAGER))
    page = client.get(reverse("channels:health")).content.decode()
    rows = dict(re.findall(r'<tr id="health-([\w-]+)" class="(\w+)">', page))
    assert rows == {"douyin": "ok", "tmall": "warn"}
    assert "Not connected" in page.split('id="health-douyin"')[1].split("</tr>")[0]
    assert "isv.invalid-permission" in page.split('id="health-tmall"')[1].split("</tr>")[0]
