"""Polling over real HTTP: nothing lost, nothing duplicated, the cursor only after commit."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from omnioms.channels.clients.base import DescendingPages
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadSource,
    SyncState,
)
from omnioms.channels.tests.replay_server import (
    FakeShopify,
    FakeTaobao,
    ReplayServer,
    Reply,
    Request,
    shopify_order,
    taobao_trade,
)
from omnioms.orders.models import Order
from omnioms.sync.pull import pull_account, pull_due
from omnioms.testing import make_account

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def shopify_account(shop: FakeShopify, **extra: object) -> ChannelAccount:
    account = make_account(platform="shopify", currency="USD")
    account.api_credentials = shop.credentials(**extra)
    account.save()
    return account


def external_ids(account: ChannelAccount) -> list[str]:
    return list(Order.objects.filter(account=account).values_list("external_id", flat=True))


def test_first_poll_reads_every_page_and_moves_the_cursor(shop: FakeShopify) -> None:
    for n in range(25):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(days=2, minutes=n)))
    shop.add(shopify_order(99, updated_at=NOW - timedelta(days=30)))  # before the first window
    account = shopify_account(shop, page_size=10)

    summary = pull_account(account, now=NOW)

    assert (summary.pages, summary.created, summary.finished, summary.error) == (3, 25, True, "")
    assert sorted(external_ids(account)) == sorted(str(9007199254740993 + n) for n in range(25))
    state = SyncState.objects.get(account=account)
    assert state.cursor == NOW
    assert (state.window_start, state.page_cursor, state.failures) == (None, "", 0)
    assert state.last_poll_succeeded_at is not None
    assert state.last_poll_orders == 25
    payloads = InboundPayload.objects.filter(account=account)
    assert {p.source for p in payloads} == {PayloadSource.PULL}
    assert payloads.count() == 25


def test_errors_on_the_way_lose_nothing_and_duplicate_nothing(
    shop: FakeShopify, server: ReplayServer
) -> None:
    for n in range(30):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(hours=1, minutes=n)))
    account = shopify_account(shop, page_size=7, timeout=0.3, max_attempts=8)
    server.inject("/orders.json", status=429, retry_after="0")
    server.inject("/orders.json", status=500)
    server.inject("/orders.json", fault="timeout", delay=1.0)
    server.inject("/orders.json", fault="malformed")
    server.inject("/orders.json", fault="drop")

    summary = pull_account(account, now=NOW)

    assert summary.error == ""
    assert server.faults_served == 5
    ids = external_ids(account)
    assert len(ids) == len(set(ids)) == 30
    assert summary.created == 30
    assert SyncState.objects.get(account=account).cursor == NOW


def test_a_poll_that_fails_half_way_keeps_the_cursor_and_the_next_one_finishes(
    shop: FakeShopify, server: ReplayServer
) -> None:
    for n in range(12):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(hours=2, minutes=n)))
    account = shopify_account(shop, page_size=5, max_attempts=2)
    pull_account(account, now=NOW - timedelta(days=1))  # an earlier poll: cursor = a day ago
    original = server.routes[0]
    failures = {"left": 2}  # max_attempts is 2: the second page is given up once

    def fail_second_page(request: Request) -> Reply:
        if "page_info" in request.query and failures["left"]:
            failures["left"] -= 1
            return Reply.json({"errors": "Internal"}, 503)
        return original[2](request)

    server.routes[0] = (original[0], original[1], fail_second_page)
    first = pull_account(account, now=NOW)

    assert "503" in first.error
    state = SyncState.objects.get(account=account)
    assert state.cursor == NOW - timedelta(days=1)  # not moved: the window was not read whole
    assert (state.failures, state.page_cursor != "") == (1, True)
    assert "503" in state.last_poll_error
    assert len(external_ids(account)) == 5  # page one is stored and committed

    second = pull_account(account, now=NOW + timedelta(minutes=1))
    assert second.error == ""
    assert second.finished
    assert sorted(external_ids(account)) == sorted(str(9007199254740993 + n) for n in range(12))
    state.refresh_from_db()
    # The resumed window ends where the failed one was to end.
    assert (state.cursor, state.failures, state.last_poll_error) == (NOW, 0, "")


def test_overlapping_windows_with_duplicates_store_each_order_once(
    shop: FakeShopify, server: ReplayServer
) -> None:
    for n in range(10):
        shop.add(shopify_order(n, updated_at=NOW - timedelta(minutes=30 + n)))
    account = shopify_account(shop, page_size=4)
    pull_account(account, now=NOW)

    # Between the polls: two orders change, three new ones arrive, and the platform lists
    # an order twice in one answer (duplicates happen on real APIs).
    later = NOW + timedelta(minutes=5)
    shop.add(shopify_order(1, updated_at=NOW + timedelta(minutes=1), status="refunded"))
    shop.add(shopify_order(2, updated_at=NOW + timedelta(minutes=2), status="refunded"))
    for n in range(10, 13):
        shop.add(shopify_order(n, updated_at=NOW + timedelta(minutes=3)))
    original = server.routes[0]

    def with_duplicates(request: Request) -> Reply:
        reply = original[2](request)
        body = json.loads(reply.body)
        body["orders"] = body["orders"] + body["orders"][:1]
        reply.body = json.dumps(body).encode()
        return reply

    server.routes[0] = (original[0], original[1], with_duplicates)
    second = pull_account(account, now=later)

    # The window began 10 minutes before the first poll's end: orders 0-2 of the first poll
    # (updated 30-32 minutes before) are outside it, so re-read are only the repeats below.
    assert second.error == ""
    assert (second.created, second.updated) == (3, 2)
    assert second.unchanged >= 1  # the repeated entries
    ids = external_ids(account)
    assert len(ids) == len(set(ids)) == 13
    assert Order.objects.get(account=account, external_id=str(9007199254740993 + 1)).status == (
        "refunded"
    )

    # A third poll over the same minutes changes nothing.
    third = pull_account(account, now=later + timedelta(seconds=30))
    assert (third.created, third.updated, third.stale) == (0, 0, 0)
    assert third.unchanged > 0
    assert Order.objects.filter(account=account).count() == 13


def test_an_unreadable_order_is_dead_lettered_and_the_cursor_still_moves(
    shop: FakeShopify,
) -> None:
    bad = shopify_order(7, updated_at=NOW - timedelta(hours=1))
    bad["financial_status"] = "mystery"
    shop.add(bad)
    shop.add(shopify_order(8, updated_at=NOW - timedelta(hours=1)))
    account = shopify_account(shop)

    summary = pull_account(account, now=NOW)

    assert (summary.created, summary.dead_lettered, summary.finished) == (1, 1, True)
    letter = DeadLetter.objects.get(account=account)
    assert "financial_status" in letter.reason
    assert letter.payload.source == PayloadSource.PULL
    assert json.loads(bytes(letter.payload.body))["id"] == bad["id"]
    assert SyncState.objects.get(account=account).cursor == NOW


def test_refused_credentials_are_recorded_and_nothing_moves(shop: FakeShopify) -> None:
    shop.add(shopify_order(1, updated_at=NOW - timedelta(hours=1)))
    account = shopify_account(shop, token="wrong")
    summary = pull_account(account, now=NOW)
    assert "401" in summary.error
    state = SyncState.objects.get(account=account)
    assert (state.cursor, state.failures) == (None, 1)
    assert "credentials were refused" in state.last_poll_error
    assert state.next_poll_at is not None
    assert state.window_start is None  # not retryable: the next poll starts the window afresh
    assert not Order.objects.exists()


def test_the_worker_step_polls_due_accounts_only(shop: FakeShopify) -> None:
    shop.add(shopify_order(1, updated_at=datetime.now(UTC) - timedelta(hours=1)))
    account = shopify_account(shop)
    make_account(platform="manual")  # no API: never polled
    no_credentials = make_account(platform="shopify", currency="USD")
    assert pull_due() == 1
    assert external_ids(account) == [str(9007199254740993 + 1)]
    assert not SyncState.objects.filter(account=no_credentials).exists()
    assert pull_due() == 0  # not due again until its interval has passed
    SyncState.objects.filter(account=account).update(pull_enabled=False, next_poll_at=None)
    assert pull_due() == 0


# ----------------------------------------------------------------------------------------------
# Page-numbered platforms


def test_taobao_poll_loses_no_trade_when_one_moves_out_of_the_window_while_reading(
    server: ReplayServer,
) -> None:
    top = FakeTaobao(server)
    start = NOW - timedelta(hours=3)
    for n in range(9):
        top.add(taobao_trade(n, modified=start + timedelta(minutes=n)))
    account = make_account(platform="taobao")
    account.api_credentials = top.credentials(page_size=3)
    account.save()
    gateway = server.routes[-1]
    reads = {"n": 0}

    def one_trade_changes(request: Request) -> Reply:
        reply = gateway[2](request)
        reads["n"] += 1
        if reads["n"] == 2:
            # Right after the second read, the buyer changes trade 8 (first in TOP's newest-
            # first order): it moves past the window, and every other trade shifts one place
            # towards the first page. Read forward, trade 5 would now be skipped for good.
            top.add(taobao_trade(8, modified=NOW + timedelta(minutes=1)))
        return reply

    server.routes[-1] = (gateway[0], gateway[1], one_trade_changes)
    first = pull_account(account, since=start - timedelta(minutes=1), now=NOW)
    assert first.error == ""
    assert len(external_ids(account)) == 8  # trade 8 changed after this window

    second = pull_account(account, now=NOW + timedelta(minutes=5))
    assert second.error == ""
    ids = external_ids(account)
    assert len(ids) == len(set(ids)) == 9


def test_descending_pages_reads_last_page_first() -> None:
    pages_read: list[int] = []

    def read(start: datetime, end: datetime, page: int) -> tuple[int, list]:
        pages_read.append(page)
        return 7, []

    pager = DescendingPages(platform="x", zone=UTC, page_size=3, read=read)  # type: ignore[arg-type]
    cursor = None
    while True:
        page = pager.page(NOW - timedelta(hours=1), NOW, cursor)
        if (cursor := page.next_cursor) is None:
            break
    assert pages_read == [1, 3, 2, 1]


# ----------------------------------------------------------------------------------------------
# The worker and the command line


def test_the_worker_polls_and_reconciles_and_skips_unconfigured_accounts_quietly(
    shop: FakeShopify, caplog: pytest.LogCaptureFixture
) -> None:
    from omnioms.core.worker import run_once, steps

    names = {step.name for step in steps()}
    assert {"channels.pull", "channels.fetch_named", "channels.reconcile"} <= names
    assert "channels.outbound" in names
    shop.add(shopify_order(1, updated_at=datetime.now(UTC) - timedelta(hours=1)))
    account = shopify_account(shop)
    no_credentials = make_account(platform="shopify", currency="USD")
    make_account(platform="pos_csv")

    with caplog.at_level("WARNING"):
        run_once()
        run_once()

    assert external_ids(account) == [str(9007199254740993 + 1)]
    state = SyncState.objects.get(account=account)
    assert state.last_poll_succeeded_at is not None
    assert state.last_reconciled_at is not None
    assert (state.platform_order_count, state.our_order_count) == (1, 1)
    assert not SyncState.objects.filter(account=no_credentials).exists()
    assert [record.getMessage() for record in caplog.records] == []


@pytest.mark.parametrize("command", ["pull", "reconcile"])
def test_the_command_line_refuses_an_account_it_cannot_poll_and_records_nothing(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from omnioms.cli import build_parser

    make_account("no-keys", platform="shopify", currency="USD")
    make_account("till", platform="pos_csv")

    args = build_parser().parse_args([command, "no-keys"])
    assert args.func(args) == 2
    assert "account no-keys has no API credentials: enter them in the admin" in (
        capsys.readouterr().err
    )
    args = build_parser().parse_args([command, "till"])
    assert args.func(args) == 2
    assert "platform pos_csv has no API client" in capsys.readouterr().err
    assert not SyncState.objects.exists()
