"""What each channel may sell: the outbox written with every stock change, and its push.

A change that moves available stock at a location writes one ``AvailabilityOutbox`` row per
channel account selling from there (and per bundle using the SKU) in the same transaction, so
the commit itself queues the push; ``queued_at`` is set right after it. The worker step
:func:`push_due` claims due rows, computes each account's figure as it is at that moment (so
ten changes to one SKU become one push of the latest figure) and sends it through the platform
client, retrying with backoff what the platform may accept later.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from omnioms.catalog.models import BundleComponent, ChannelSkuMapping, Sku
from omnioms.channels.clients.registry import is_connected
from omnioms.core.bulk import new_rows
from omnioms.inventory.domain import Pair, bundle_available, channel_quantity
from omnioms.inventory.models import (
    AvailabilityOutbox,
    ChannelAvailability,
    OutboxState,
    StockBalance,
)
from omnioms.inventory.rules import routing_config

logger = logging.getLogger(__name__)

_new_outbox = new_rows(AvailabilityOutbox)
CLAIM_SECONDS = 120
"""A claimed row whose push neither succeeded nor failed by then (a worker died) is due again."""
MAX_ATTEMPTS = 20
KEEP_DONE = timedelta(days=2)


def queue_availability(changed: Iterable[Pair], *, changed_at: datetime) -> None:
    """Write outbox rows for every account whose figure of a SKU the ``changed`` pairs move.

    Call inside the transaction that changed the stock.
    """
    config = routing_config()
    wanted: dict[int, set[int]] = defaultdict(set)
    for sku, location in changed:
        for account in config.sellers.get(location, ()):
            wanted[account].add(sku)
    _write_rows(wanted, changed_at)


def queue_account_availability(account_id: int) -> None:
    """Queue every SKU stocked at the account's locations: its rule changed."""
    rule = routing_config().rule(account_id)
    if not rule.push_enabled:
        return
    skus = set(
        StockBalance.objects.filter(location_id__in=rule.locations).values_list("sku_id", flat=True)
    )
    _write_rows({account_id: skus}, timezone.now())


_TABLE = AvailabilityOutbox._meta.db_table
_INSERT_ROWS = (
    "WITH x(account_id, sku_id) AS (VALUES {values})"  # noqa: S608
    f" INSERT INTO {_TABLE} (account_id, sku_id, changed_at, queued_at, state, attempts,"
    " next_attempt_at, claimed_until, pushed_at, pushed_quantity, last_error)"
    " SELECT v.account_id, v.sku_id, %s, NULL, %s, 0, %s, NULL, NULL, NULL, ''"
    " FROM (SELECT account_id, sku_id FROM x"
    " UNION SELECT x.account_id, b.bundle_id FROM x"
    f" JOIN {BundleComponent._meta.db_table} b ON b.component_id = x.sku_id) v"
    " RETURNING id"
)


def _write_rows(wanted: dict[int, set[int]], changed_at: datetime) -> None:
    """One pending row per (account, SKU), and per bundle using one of the SKUs: one
    statement, so that queueing costs a single round trip inside the stock change."""
    pairs = [(account, sku) for account, skus in wanted.items() for sku in sorted(skus)]
    if not pairs:
        return
    values = ", ".join(["(CAST(%s AS bigint), CAST(%s AS bigint))"] * len(pairs))
    at = connection.ops.adapt_datetimefield_value(changed_at)
    params: list[Any] = [value for pair in pairs for value in pair]
    with connection.cursor() as cursor:
        cursor.execute(_INSERT_ROWS.format(values=values), [*params, at, OutboxState.PENDING, at])
        ids = [row[0] for row in cursor.fetchall()]
    transaction.on_commit(lambda: _mark_queued(ids))


def _mark_queued(ids: list[int]) -> None:
    """Runs right after the commit that made the rows visible to the push step."""
    now = timezone.now()
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        AvailabilityOutbox.objects.filter(pk__in=ids, queued_at__isnull=True).update(queued_at=now)
        return
    # A measurement, not state: this commit need not wait for the disk (half the cost of a
    # reservation otherwise). One round trip: no parameters, ids are ours and integers.
    listed = ", ".join(str(int(pk)) for pk in ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "BEGIN; SET LOCAL synchronous_commit TO OFF;"  # noqa: S608
            f" UPDATE {_TABLE} SET queued_at = '{now.isoformat()}'::timestamptz"
            f" WHERE id IN ({listed}) AND queued_at IS NULL; COMMIT"
        )


def channel_figures(account_id: int, sku_ids: Iterable[int]) -> dict[int, int]:
    """What the account may sell of each SKU now, under its allocation rule.

    A bundle counts the bundles each location can make from its parts' available stock.
    """
    rule = routing_config().rule(account_id)
    skus = set(sku_ids)
    parts: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle, component, quantity in BundleComponent.objects.filter(
        bundle_id__in=skus
    ).values_list("bundle_id", "component_id", "quantity"):
        parts[bundle].append((component, quantity))
    needed = skus | {component for items in parts.values() for component, _ in items}
    available: dict[Pair, int] = {
        (sku, location): on_hand - reserved - safety
        for sku, location, on_hand, reserved, safety in StockBalance.objects.filter(
            sku_id__in=needed, location_id__in=rule.locations
        ).values_list("sku_id", "location_id", "on_hand", "reserved", "safety_stock")
    }
    figures = {}
    for sku in skus:
        if sku in parts:
            per_location = [bundle_available(parts[sku], available, loc) for loc in rule.locations]
        else:
            per_location = [available.get((sku, loc), 0) for loc in rule.locations]
        figures[sku] = channel_quantity(per_location, rule)
    return figures


def push_due(*, limit: int = 500) -> int:
    """The worker step: push the latest figure of every SKU with due outbox rows.

    Returns how many rows it handled. Claims are committed before any platform call, so no
    database lock is held while a platform answers.
    """
    from omnioms.channels.models import ChannelAccount

    now = timezone.now()
    with transaction.atomic():
        due = (
            AvailabilityOutbox.objects.filter(
                Q(state=OutboxState.PENDING, next_attempt_at__lte=now)
                | Q(state=OutboxState.SENDING, claimed_until__lt=now)
            )
            .select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", "account_id", "sku_id")[:limit]
        )
        claimed = list(due)
        if not claimed:
            return 0
        AvailabilityOutbox.objects.filter(pk__in=[pk for pk, _, _ in claimed]).update(
            state=OutboxState.SENDING, claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
    by_account: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for pk, account_id, sku_id in claimed:
        by_account[account_id][sku_id].append(pk)
    accounts = ChannelAccount.objects.in_bulk(list(by_account))
    for account_id, rows in by_account.items():
        account = accounts.get(account_id)
        if account is None:
            continue
        _push_account(account, rows)
    return len(claimed)


def _push_account(account: Any, rows: dict[int, list[int]]) -> None:
    from omnioms.channels.clients import AvailabilityItem, ClientError, get_client

    everything = [pk for pks in rows.values() for pk in pks]
    if not is_connected(account.platform, account.api_credentials):
        # Queued before its credentials were cleared: there is nobody to tell. Connecting it
        # again queues every figure (queue_account_availability).
        AvailabilityOutbox.objects.filter(pk__in=everything).delete()
        return
    figures = channel_figures(account.pk, rows)
    codes = dict(Sku.objects.filter(pk__in=list(rows)).values_list("pk", "code"))
    external: dict[int, list[str]] = defaultdict(list)
    for sku, name in ChannelSkuMapping.objects.filter(
        account_id=account.pk, sku_id__in=list(rows)
    ).values_list("sku_id", "external_sku"):
        external[sku].append(name)

    def items(skus: Iterable[int]) -> list[AvailabilityItem]:
        return [
            AvailabilityItem(external_sku=name, quantity=figures[sku], sku_code=codes.get(sku, ""))
            for sku in sorted(skus)
            for name in external.get(sku) or [codes.get(sku, "")]
        ]

    try:
        client = get_client(account)
    except ClientError as exc:  # no API for the platform, or its credentials are missing
        _failed(everything, str(exc), retryable=exc.retryable)
        logger.warning("availability push to %s failed: %s", account, exc)
        return
    try:
        client.push_availability(items(rows))
    except ClientError as exc:
        if exc.retryable or len(rows) == 1:
            _failed(everything, str(exc), retryable=exc.retryable)
            logger.warning("availability push to %s failed: %s", account, exc)
            return
        # The platform refused something: push SKU by SKU to tell the good from the bad.
        for sku, pks in rows.items():
            try:
                client.push_availability(items([sku]))
            except ClientError as one:
                _failed(pks, str(one), retryable=one.retryable)
                logger.warning("availability push to %s failed: %s", account, one)
            else:
                _pushed(account.pk, {sku: pks}, figures)
        return
    _pushed(account.pk, rows, figures)


def _pushed(account_id: int, rows: dict[int, list[int]], figures: dict[int, int]) -> None:
    pushed_at = timezone.now()
    with transaction.atomic():
        for sku, pks in rows.items():
            AvailabilityOutbox.objects.filter(pk__in=pks).update(
                state=OutboxState.DONE,
                pushed_at=pushed_at,
                pushed_quantity=figures[sku],
                claimed_until=None,
                last_error="",
            )
            # Older rows of the same SKU waiting for a retry are answered by this push.
            AvailabilityOutbox.objects.filter(
                account_id=account_id,
                sku_id=sku,
                state__in=[OutboxState.PENDING, OutboxState.FAILED],
                pk__lt=min(pks),
            ).update(state=OutboxState.DONE, pushed_at=pushed_at, pushed_quantity=figures[sku])
            ChannelAvailability.objects.update_or_create(
                account_id=account_id,
                sku_id=sku,
                defaults={"quantity": figures[sku], "pushed_at": pushed_at},
            )


def _failed(ids: list[int], error: str, *, retryable: bool) -> None:
    now = timezone.now()
    with transaction.atomic():
        for row in AvailabilityOutbox.objects.filter(pk__in=ids).only("pk", "attempts"):
            attempts = row.attempts + 1
            give_up = not retryable or attempts >= MAX_ATTEMPTS
            AvailabilityOutbox.objects.filter(pk=row.pk).update(
                attempts=attempts,
                state=OutboxState.FAILED if give_up else OutboxState.PENDING,
                next_attempt_at=now + timedelta(seconds=min(300, 2**attempts)),
                claimed_until=None,
                last_error=error[:2000],
            )


@dataclass(frozen=True)
class PushProblem:
    """An account whose availability pushes fail: what the health and availability pages say."""

    skus_waiting: int
    """SKUs whose latest figure the channel has not been told."""
    since: datetime
    """When the oldest change that failed to be pushed was made."""
    last_error: str
    """The platform's (or the client's) reason, from the latest failed attempt."""
    given_up: int
    """Rows no longer retried (refused, or out of attempts): a person must act."""


def push_problems(account_ids: Iterable[int] | None = None) -> dict[int, PushProblem]:
    """Per account with failed pushes not yet answered by a later push: two queries.

    Reads only rows not yet pushed (pending, sending, failed), which the push step keeps few.
    """
    waiting = AvailabilityOutbox.objects.exclude(state=OutboxState.DONE)
    if account_ids is not None:
        waiting = waiting.filter(account_id__in=list(account_ids))
    failed = ~Q(last_error="")
    counts = {
        row["account_id"]: row
        for row in waiting.values("account_id")
        .annotate(
            skus=Count("sku_id", distinct=True),
            failing=Count("pk", filter=failed),
            since=Min("changed_at", filter=failed),
            given_up=Count("pk", filter=Q(state=OutboxState.FAILED)),
        )
        .order_by()
        if row["failing"]
    }
    if not counts:
        return {}
    from omnioms.channels.models import ChannelAccount

    latest = (
        AvailabilityOutbox.objects.exclude(state=OutboxState.DONE)
        .filter(failed, account_id=OuterRef("pk"))
        .order_by("-next_attempt_at", "-pk")
        .values("last_error")[:1]
    )
    errors = dict(
        ChannelAccount.objects.filter(pk__in=list(counts))
        .annotate(error=Subquery(latest))
        .values_list("pk", "error")
    )
    return {
        account_id: PushProblem(
            skus_waiting=row["skus"],
            since=row["since"],
            last_error=errors.get(account_id) or "",
            given_up=row["given_up"],
        )
        for account_id, row in counts.items()
    }


def purge_pushed() -> int:
    """The worker step that keeps two days of pushed rows (the change-to-queued figures read
    them) and drops older ones. Returns 0: it never asks to be called again at once."""
    cutoff = timezone.now() - KEEP_DONE
    AvailabilityOutbox.objects.filter(state=OutboxState.DONE, pushed_at__lt=cutoff).delete()
    return 0
