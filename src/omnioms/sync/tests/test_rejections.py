"""Refused webhooks are counted with a bound: per name, reason and hour, a few examples, purged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Manager, QuerySet
from django.test import Client
from pytest_django import DjangoDbBlocker, Settings

from omnioms.channels.models import (
    OTHER_ACCOUNT_NAMES,
    WebhookRejectionCount,
    WebhookRejectionExample,
    WebhookRejectionReason,
)
from omnioms.core.worker import steps
from omnioms.sync.health import channel_health
from omnioms.sync.rejections import (
    EXAMPLES_KEPT,
    UNKNOWN_NAMES_PER_HOUR,
    purge_old_rejections,
    record_webhook_rejection,
)
from omnioms.testing import make_account

BAD = WebhookRejectionReason.BAD_SIGNATURE
UNKNOWN = WebhookRejectionReason.UNKNOWN_ACCOUNT
NOW = datetime(2024, 6, 10, 4, 30, tzinfo=UTC)


def counts(
    rows: QuerySet[Any] | Manager[Any] = WebhookRejectionCount.objects,
) -> list[tuple[str, str, datetime, int]]:
    return list(
        rows.order_by("account_name", "reason", "hour").values_list(
            "account_name", "reason", "hour", "count"
        )
    )


@pytest.mark.django_db
def test_a_flood_of_refused_requests_writes_a_bounded_number_of_rows(client: Client) -> None:
    make_account("webshop")
    for n in range(120):
        client.post("/api/v1/webhooks/webshop", b"{}", content_type="application/json")
        client.post(f"/api/v1/webhooks/guess-{n}", b"{}", content_type="application/json")

    rows = counts()
    hour = rows[0][2]
    assert ("webshop", BAD, hour, 120) in rows
    assert (OTHER_ACCOUNT_NAMES, UNKNOWN, hour, 120 - UNKNOWN_NAMES_PER_HOUR) in rows
    assert len(rows) == 1 + UNKNOWN_NAMES_PER_HOUR + 1
    # Five examples of each name refused more than five times; the guessed names were tried once.
    assert WebhookRejectionExample.objects.count() == 2 * EXAMPLES_KEPT + UNKNOWN_NAMES_PER_HOUR


@pytest.mark.django_db
def test_each_hour_has_its_own_count_and_the_last_five_refusals_are_examples() -> None:
    for minute in range(8):
        at = NOW + timedelta(minutes=minute * 10)  # 04:30 to 05:40
        record_webhook_rejection("webshop", BAD, f"10.0.0.{minute}", now=at)

    assert counts() == [
        ("webshop", BAD, datetime(2024, 6, 10, 4, tzinfo=UTC), 3),
        ("webshop", BAD, datetime(2024, 6, 10, 5, tzinfo=UTC), 5),
    ]
    examples = WebhookRejectionExample.objects.order_by("-at")
    assert [example.remote_addr for example in examples] == [f"10.0.0.{n}" for n in (7, 6, 5, 4, 3)]


@pytest.mark.django_db
def test_an_unusable_remote_address_is_left_empty() -> None:
    record_webhook_rejection("a", UNKNOWN, "not-an-ip")

    assert WebhookRejectionExample.objects.get().remote_addr is None


@pytest.mark.django_db
def test_the_health_report_counts_the_last_day_with_the_examples() -> None:
    shop = make_account("webshop")
    record_webhook_rejection("webshop", BAD, "10.0.0.1", now=NOW - timedelta(hours=30))
    record_webhook_rejection("webshop", BAD, "10.0.0.2", now=NOW - timedelta(hours=2))
    record_webhook_rejection("webshop", UNKNOWN, "10.0.0.3", now=NOW - timedelta(hours=1))
    for n in range(UNKNOWN_NAMES_PER_HOUR + 3):
        record_webhook_rejection(f"guess-{n}", UNKNOWN, "10.9.9.9", now=NOW)

    report = channel_health(now=NOW)

    (item,) = report.accounts
    assert item.account == shop
    assert (item.rejected, item.bad_signatures) == (2, 1)
    assert item.last_rejected_at == NOW - timedelta(hours=1)
    assert [(e.remote_addr, e.reason) for e in item.rejection_examples] == [
        ("10.0.0.3", UNKNOWN),
        ("10.0.0.2", BAD),
    ]
    assert len(report.unknown) == UNKNOWN_NAMES_PER_HOUR + 1
    assert (report.unknown[-1].is_other_names, report.unknown[-1].count) == (True, 3)


@pytest.mark.django_db
def test_hours_older_than_the_retention_are_purged_by_a_worker_step(settings: Settings) -> None:
    settings.OMNIOMS_WEBHOOK_REJECTION_DAYS = 2
    record_webhook_rejection("old", BAD, "10.0.0.1", now=NOW - timedelta(days=2, hours=1))
    record_webhook_rejection("recent", BAD, "10.0.0.2", now=NOW - timedelta(days=1))

    assert purge_old_rejections(now=NOW) == 2  # the old counter and its example
    assert purge_old_rejections(now=NOW) == 0
    assert [row[0] for row in counts()] == ["recent"]
    assert list(WebhookRejectionExample.objects.values_list("account_name", flat=True)) == [
        "recent"
    ]
    assert "channels.purge_rejections" in [step.name for step in steps()]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writers (BEGIN IMMEDIATE)"
)
def test_processes_counting_the_same_hour_at_once_lose_no_count() -> None:
    threads, each = 8, 25
    barrier = threading.Barrier(threads)
    errors: list[BaseException] = []

    def refuse() -> None:
        try:
            barrier.wait()
            for _ in range(each):
                record_webhook_rejection("webshop", BAD, "10.0.0.1", now=NOW)
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=refuse) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)

    assert errors == []
    assert counts() == [("webshop", BAD, datetime(2024, 6, 10, 4, tzinfo=UTC), threads * each)]
    assert WebhookRejectionExample.objects.count() == EXAMPLES_KEPT


UPGRADE = "upgrade"
"""The alias of a database of the test's own, migrated only as far as an older release."""


@pytest.fixture
def upgrade_database(
    tmp_path: Path, django_db_setup: None, django_db_blocker: DjangoDbBlocker
) -> Iterator[BaseDatabaseWrapper]:
    """An empty database beside the test database, under the alias ``UPGRADE``: migrating it
    forward to an old migration is far cheaper than taking the test database back (which
    unapplies everything after it, about 20 s) and forward again. The test database is not
    touched (the test has no ``django_db`` mark: Django's test case would refuse an alias
    it was not told of)."""
    default = connections["default"]
    on_server = default.vendor != "sqlite"  # PostgreSQL: a database beside the test one
    name = f"{default.settings_dict['NAME']}_upgrade" if on_server else str(tmp_path / "up.db")
    with django_db_blocker.unblock():
        if on_server:
            with default._nodb_cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')  # left by a killed run
                cursor.execute(f'CREATE DATABASE "{name}"')
        connections.settings[UPGRADE] = {**default.settings_dict, "NAME": name}
        try:
            yield connections[UPGRADE]
        finally:
            connections[UPGRADE].close()
            del connections[UPGRADE]
            del connections.settings[UPGRADE]
            if on_server:
                with default._nodb_cursor() as cursor:
                    cursor.execute(f'DROP DATABASE "{name}"')


def test_the_migration_turns_rows_into_hourly_counts_and_examples(
    upgrade_database: BaseDatabaseWrapper,
) -> None:
    before = [("channels", "0011_dead_letter_dismissal")]
    after = [("channels", "0012_webhook_rejections_per_hour")]
    executor = MigrationExecutor(upgrade_database)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("channels", "WebhookRejection")
    rows: list[tuple[str, str, datetime, str | None]] = [
        ("webshop", BAD, NOW + timedelta(minutes=n), f"10.0.0.{n}") for n in range(7)
    ]
    rows += [("webshop", BAD, NOW + timedelta(hours=1), "10.0.1.1")]
    rows += [(f"guess-{n}", UNKNOWN, NOW, None) for n in range(UNKNOWN_NAMES_PER_HOUR + 2)]
    old.objects.using(UPGRADE).bulk_create(
        old(account_name=name, reason=reason, at=at, remote_addr=address)
        for name, reason, at, address in rows
    )

    executor = MigrationExecutor(upgrade_database)
    executor.migrate(after)

    new = executor.loader.project_state(after).apps
    converted = counts(new.get_model("channels", "WebhookRejectionCount").objects.using(UPGRADE))
    four, five = datetime(2024, 6, 10, 4, tzinfo=UTC), datetime(2024, 6, 10, 5, tzinfo=UTC)
    assert ("webshop", BAD, four, 7) in converted
    assert ("webshop", BAD, five, 1) in converted
    assert (OTHER_ACCOUNT_NAMES, UNKNOWN, four, 2) in converted
    assert len(converted) == 2 + UNKNOWN_NAMES_PER_HOUR + 1
    example = new.get_model("channels", "WebhookRejectionExample").objects.using(UPGRADE)
    examples = example.filter(account_name="webshop").order_by("-at")
    assert [e.remote_addr for e in examples] == ["10.0.1.1", *[f"10.0.0.{n}" for n in (6, 5, 4, 3)]]


@pytest.mark.django_db
def test_random_account_names_do_not_grow_the_webhook_account_cache_without_end() -> None:
    from omnioms.sync import webhooks

    shop = make_account("webshop")
    for n in range(webhooks.ACCOUNT_CACHE_SIZE * 3):
        assert webhooks.webhook_account(f"guess-{n}") is None

    assert len(webhooks._accounts) <= webhooks.ACCOUNT_CACHE_SIZE
    assert webhooks.webhook_account("webshop") == shop


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["a%00b", "%E4%B8%AD", "a.b", "x" * 101])
def test_a_name_no_account_can_have_is_refused_like_any_unknown_one(
    client: Client, name: str
) -> None:
    response = client.post(f"/api/v1/webhooks/{name}", b"{}", content_type="application/json")

    assert response.status_code == 401
    assert WebhookRejectionCount.objects.get().reason == UNKNOWN
