"""Concurrent deliveries of one order on PostgreSQL: one order, the newest version, no errors.

SQLite serialises writers with BEGIN IMMEDIATE, so the race only exists on PostgreSQL; this
test runs there (``make test`` runs the suite on PostgreSQL when it answers).
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from omnioms.channels.models import InboundPayload, PayloadOutcome
from omnioms.orders.models import Order
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, manual_order, signed

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="the insert race exists only on PostgreSQL"
    ),
]

THREADS = 8


def run_at_once(jobs: list[dict[str, object]], account_id: int) -> list[BaseException]:
    from omnioms.channels.models import ChannelAccount

    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def deliver(job: dict[str, object]) -> None:
        try:
            account = ChannelAccount.objects.get(pk=account_id)
            barrier.wait()
            receive_webhook(account, **job)  # type: ignore[arg-type]
        except BaseException as exc:  # collected and asserted on below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_simultaneous_versions_of_a_new_order_converge_on_the_newest() -> None:
    account = make_account()
    versions = [
        signed(manual_order("RACE-1", updated_at=f"2026-03-01T00:00:{second:02d}Z"))
        for second in range(THREADS)
    ]
    errors = run_at_once(versions, account.pk)
    assert errors == []
    order = Order.objects.get(account=account)
    assert order.normalized["updated_at"] == f"2026-03-01T00:00:{THREADS - 1:02d}Z"
    assert order.events.filter(kind="created").count() == 1
    assert InboundPayload.objects.filter(account=account).count() == THREADS


def test_simultaneous_retries_of_one_event_store_one_delivery_and_the_rest_as_duplicates() -> None:
    account = make_account()
    delivery = signed(manual_order("RACE-2"), **{"X-Omnioms-Event-Id": "evt-race"})
    errors = run_at_once([delivery] * THREADS, account.pk)
    assert errors == []
    assert Order.objects.filter(account=account).count() == 1
    outcomes = list(
        InboundPayload.objects.filter(account=account).values_list("outcome", flat=True)
    )
    assert sorted(outcomes) == sorted(
        [PayloadOutcome.CREATED] + [PayloadOutcome.DUPLICATE] * (THREADS - 1)
    )
