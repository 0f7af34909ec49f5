"""The channel health page: measures per account, warnings, refused webhooks, who may look."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from omnioms.channels.models import (
    ChannelAccount,
    InboundPayload,
    SyncState,
    WebhookRejectionCount,
    WebhookRejectionExample,
    WebhookRejectionReason,
)
from omnioms.core.roles import Role
from omnioms.sync.health import (
    SILENCE_FLOOR,
    AccountHealth,
    AlertKind,
    SyncFacts,
    assess,
    channel_health,
    duration_text,
    fixed_silence_hours,
    silence_threshold,
)
from omnioms.sync.rejections import record_webhook_rejection
from omnioms.web.tests.factories import make_account, make_user, order_data, post_webhook, submit

NOW = datetime(2024, 6, 10, 4, 0, tzinfo=UTC)  # 12:00 in Beijing


@pytest.fixture(autouse=True)
def _english_in_beijing(settings: object) -> Iterator[None]:
    settings.TIME_ZONE = "Asia/Shanghai"  # type: ignore[attr-defined]
    with translation.override("en"), timezone.override("Asia/Shanghai"):
        yield


def kinds(item: AccountHealth) -> list[str]:
    return [alert.kind for alert in item.alerts]


def facts(**fields: object) -> AccountHealth:
    account = ChannelAccount(name="shop", platform="manual", options={})
    return AccountHealth(account=account, **fields)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Judging


def test_the_silence_threshold_is_five_usual_gaps_and_never_under_six_hours() -> None:
    window = timedelta(days=28)

    assert silence_threshold(28, window=window) == timedelta(days=5)
    assert silence_threshold(2800, window=window) == SILENCE_FLOOR == timedelta(hours=6)
    assert silence_threshold(0, window=window) is None
    assert silence_threshold(2800, window=window, fixed_hours=Decimal("1.5")) == timedelta(
        minutes=90
    )


def test_an_accounts_own_threshold_must_be_a_positive_number_of_hours() -> None:
    assert fixed_silence_hours({"health": {"silence_after_hours": 48}}) == 48
    assert fixed_silence_hours({"health": {}}) is None
    assert fixed_silence_hours({}) is None
    for bad in ("soon", 0, -3, True, "nan"):
        with pytest.raises(ValueError, match="is not a positive number of hours"):
            fixed_silence_hours({"health": {"silence_after_hours": bad}})


def test_an_account_is_silent_after_its_threshold_and_not_before() -> None:
    quiet = facts(last_order_at=NOW - timedelta(days=6), recent_orders=28)
    busy = facts(last_order_at=NOW - timedelta(days=4), recent_orders=28)

    assess(quiet, NOW)
    assess(busy, NOW)

    assert kinds(quiet) == [AlertKind.SILENT]
    assert quiet.alerts[0].message == (
        "Silent: no order for 6 d 0 h (expected one within 5 d 0 h)."
    )
    assert quiet.silent_for == timedelta(days=6)
    assert kinds(busy) == []


def test_an_account_without_recent_orders_is_silent_after_the_whole_window() -> None:
    item = facts(last_order_at=NOW - timedelta(days=40), recent_orders=0)

    assess(item, NOW)

    assert kinds(item) == [AlertKind.SILENT]
    assert item.silence_threshold is None


def test_inactive_accounts_and_accounts_without_orders_are_never_silent() -> None:
    inactive = facts(last_order_at=NOW - timedelta(days=90))
    inactive.account.is_active = False
    new = facts()

    assess(inactive, NOW)
    assess(new, NOW)

    assert kinds(inactive) == []
    assert kinds(new) == []


def test_a_bad_threshold_setting_is_a_warning_and_the_derived_one_applies() -> None:
    item = facts(last_order_at=NOW - timedelta(days=1), recent_orders=28)
    item.account.options = {"health": {"silence_after_hours": "soon"}}

    assess(item, NOW)

    assert kinds(item) == [AlertKind.SETTING]
    assert item.silence_threshold == timedelta(days=5)


def test_refusals_dead_letters_failing_polls_and_drift_are_warnings() -> None:
    item = facts(
        rejected=3,
        bad_signatures=3,
        open_dead_letters=2,
        connected=True,
        sync=SyncFacts(
            last_poll_succeeded_at=NOW - timedelta(hours=2),
            last_poll_error="HTTP 401 from Shopify",
            failures=4,
            last_reconcile_error="timed out",
            platform_count=120,
            our_count=118,
        ),
    )

    assess(item, NOW)

    assert kinds(item) == [
        AlertKind.REJECTED,
        AlertKind.DEAD_LETTERS,
        AlertKind.POLL_FAILING,
        AlertKind.POLL_OVERDUE,
        AlertKind.RECONCILE_FAILING,
        AlertKind.DRIFT,
    ]
    messages = [alert.message for alert in item.alerts]
    assert messages[0].startswith("3 webhook deliveries refused in the last 24 hours (3 with")
    assert messages[2] == "The last poll failed (4 times in a row): HTTP 401 from Shopify"
    assert messages[3] == "No successful poll for 2 h 0 min."
    assert messages[5] == (
        "At the last reconciliation the platform counted 120 orders where we have 118."
    )
    assert item.drift == 2


def test_a_recent_successful_poll_with_matching_counts_is_quiet() -> None:
    item = facts(
        sync=SyncFacts(
            last_poll_succeeded_at=NOW - timedelta(minutes=10), platform_count=5, our_count=5
        )
    )

    assess(item, NOW)

    assert kinds(item) == []
    assert item.drift == 0


def test_durations_read_in_two_units_at_most() -> None:
    assert duration_text(timedelta(minutes=7, seconds=59)) == "7 min"
    assert duration_text(timedelta(hours=5, minutes=10)) == "5 h 10 min"
    assert duration_text(timedelta(days=3, hours=4, minutes=59)) == "3 d 4 h"


# ----------------------------------------------------------------------------------------------
# Measuring


def add_order(
    account: ChannelAccount, external_id: str, placed: datetime, updated: datetime | None = None
) -> None:
    submit(account, order_data(external_id, created_at=placed, updated_at=updated))


@pytest.mark.django_db
def test_the_report_measures_each_account() -> None:
    shop = make_account("webshop", display_name="Web shop")
    quiet = make_account("quiet-shop")
    make_account("no-orders")
    ChannelAccount.objects.update(created_at=NOW - timedelta(days=60))
    yesterday = NOW - timedelta(hours=13)  # 23:00 yesterday in Beijing
    add_order(shop, "Y-1", yesterday)
    add_order(shop, "T-1", NOW - timedelta(hours=3))
    add_order(shop, "T-2", NOW - timedelta(hours=1), updated=NOW - timedelta(minutes=30))
    for n in range(10):  # a daily order, then nothing for 19 days
        add_order(quiet, f"Q-{n}", NOW - timedelta(days=28 - n))
    post_webhook(shop, b"not json")
    refused_at = NOW - timedelta(minutes=5)
    record_webhook_rejection(
        "webshop", WebhookRejectionReason.BAD_SIGNATURE, "10.0.0.7", now=refused_at
    )
    record_webhook_rejection(
        "nosuch", WebhookRejectionReason.UNKNOWN_ACCOUNT, "10.0.0.8", now=refused_at
    )
    record_webhook_rejection("nosuch", WebhookRejectionReason.UNKNOWN_ACCOUNT, None, now=refused_at)

    report = channel_health(now=NOW)

    by_name = {item.account.name: item for item in report.accounts}
    web = by_name["webshop"]
    assert web.last_order_at == NOW - timedelta(hours=1)
    assert web.lag == timedelta(minutes=30)  # now minus T-2's update on the platform
    assert web.orders_today == 2
    assert web.recent_orders == 3
    assert (web.rejected, web.bad_signatures) == (1, 1)
    assert web.open_dead_letters == 1
    assert web.last_received_at == InboundPayload.objects.latest("received_at").received_at
    assert kinds(web) == [AlertKind.REJECTED, AlertKind.DEAD_LETTERS]
    assert kinds(by_name["quiet-shop"]) == [AlertKind.SILENT]
    assert by_name["quiet-shop"].silence_threshold == timedelta(days=14)  # 5 x 28 d / 10
    assert by_name["no-orders"].last_order_at is None
    assert kinds(by_name["no-orders"]) == []
    assert [(u.name, u.count) for u in report.unknown] == [("nosuch", 2)]
    assert report.polling_configured is False
    assert all(item.sync is None for item in report.accounts)


@pytest.mark.django_db
def test_a_new_accounts_usual_gap_comes_from_the_days_it_has_existed() -> None:
    shop = make_account("new-shop")
    ChannelAccount.objects.update(created_at=NOW - timedelta(days=2))
    for n in range(20):
        add_order(shop, f"N-{n}", NOW - timedelta(days=2) + timedelta(hours=2 * n))

    (item,) = channel_health(now=NOW).accounts

    assert item.silence_threshold == timedelta(days=2) * 5 / 20  # 12 h, not 7 days


@pytest.mark.django_db
def test_poll_results_come_from_the_accounts_sync_state() -> None:
    shop = make_account("shopify-shop", platform="shopify")
    make_account("pos")
    SyncState.objects.create(
        account=shop,
        last_poll_succeeded_at=NOW - timedelta(minutes=3),
        platform_order_count=10,
        our_order_count=9,
        last_reconciled_at=NOW - timedelta(minutes=30),
    )

    report = channel_health(now=NOW)

    polled, pos = sorted(report.accounts, key=lambda item: item.account.name != "shopify-shop")
    assert report.polling_configured is True
    assert polled.sync is not None
    assert polled.sync.last_poll_succeeded_at == NOW - timedelta(minutes=3)
    assert kinds(polled) == [AlertKind.DRIFT]
    assert pos.sync is None


@pytest.mark.django_db
def test_the_report_takes_the_same_few_queries_for_three_accounts_or_thirty() -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            channel_health(now=NOW)
        return len(captured)

    for n in range(3):
        add_order(make_account(f"shop-{n}"), f"A-{n}", NOW - timedelta(hours=n))
    few = queries()
    for n in range(3, 30):
        add_order(make_account(f"shop-{n}"), f"A-{n}", NOW - timedelta(hours=n))

    # One query per measure: orders, payloads, dead letters, sync states, pushes, refusals.
    assert queries() == few <= 8


# ----------------------------------------------------------------------------------------------
# Refused webhooks are recorded


@pytest.mark.django_db
def test_a_webhook_with_a_bad_signature_is_refused_and_recorded_without_its_body(
    client: Client,
) -> None:
    make_account("webshop")
    body = json.dumps({"secret-looking": "card 4111"}).encode()

    response = client.post(
        "/api/v1/webhooks/webshop",
        body,
        content_type="application/json",
        headers={"X-Omnioms-Signature": "forged"},
    )

    assert response.status_code == 401
    counted = WebhookRejectionCount.objects.get()
    assert (counted.account_name, counted.reason, counted.count) == (
        "webshop",
        WebhookRejectionReason.BAD_SIGNATURE,
        1,
    )
    assert WebhookRejectionExample.objects.get().remote_addr == "127.0.0.1"
    assert not InboundPayload.objects.exists()
    stored = [*WebhookRejectionCount.objects.values(), *WebhookRejectionExample.objects.values()]
    assert "4111" not in json.dumps(stored, default=str)


@pytest.mark.django_db
def test_a_webhook_to_an_unknown_account_is_refused_and_recorded(client: Client) -> None:
    response = client.post("/api/v1/webhooks/" + "x" * 150, b"{}", content_type="application/json")

    assert response.status_code == 401
    counted = WebhookRejectionCount.objects.get()
    assert counted.account_name == "x" * 100
    assert counted.reason == WebhookRejectionReason.UNKNOWN_ACCOUNT


# ----------------------------------------------------------------------------------------------
# The page


@pytest.fixture
def login(client: Client, db: None) -> Callable[[str], User]:
    def login_as(role: str) -> User:
        user = make_user(f"{role}-{User.objects.count() + 1}", role)
        client.force_login(user)
        return user

    return login_as


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.MANAGER, Role.ADMINISTRATOR, Role.ORDER_CLERK, Role.SUPERVISOR]
)
def test_the_health_page_is_open_to_the_roles_that_watch_intake(
    client: Client, login: Callable[[str], User], role: str
) -> None:
    make_account("webshop", display_name="Web shop")
    login(role)

    response = client.get(reverse("channels:health"))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="health-webshop"' in page
    assert f'href="{reverse("channels:health")}" aria-current="page"' in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.STORE_CLERK, Role.CUSTOMER_SERVICE, Role.PLANNER])
def test_other_roles_may_not_see_channel_health(
    client: Client, login: Callable[[str], User], role: str
) -> None:
    login(role)

    assert client.get(reverse("channels:health")).status_code == 403
    assert reverse("channels:health") not in client.get(reverse("web:order_list")).content.decode()


@pytest.mark.django_db
def test_the_page_shows_warnings_links_and_the_unpolled_state(
    client: Client, login: Callable[[str], User]
) -> None:
    sheet = make_account("shop-sheet", platform="csv", display_name="Shop sheet")
    post_webhook(sheet, b"not a spreadsheet")
    record_webhook_rejection("typo-shop", WebhookRejectionReason.UNKNOWN_ACCOUNT, "10.1.2.3")
    login(Role.MANAGER)

    page = client.get(reverse("channels:health")).content.decode()

    assert 'id="no-polling"' in page
    assert "No polling configured" in page
    assert "1 payload could not become an order: see the dead letters." in page
    assert reverse("channels:column_mapping", args=["shop-sheet"]) in page
    assert reverse("web:dead_letter_list") in page
    assert '<span class="mono">typo-shop</span>' in page
    assert '<span class="mono">10.1.2.3</span> · Unknown or inactive account' in page
    assert 'hx-trigger="every 60s"' in page


@pytest.mark.django_db
def test_a_supervisor_sees_no_mapping_link(client: Client, login: Callable[[str], User]) -> None:
    make_account("shop-sheet", platform="csv")
    login(Role.SUPERVISOR)

    page = client.get(reverse("channels:health")).content.decode()

    assert reverse("channels:column_mapping", args=["shop-sheet"]) not in page


@pytest.mark.django_db
def test_an_anonymous_visitor_must_log_in(client: Client) -> None:
    response = client.get(reverse("channels:health"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))
