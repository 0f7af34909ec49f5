"""Reconciliation: the platform's recent orders against ours, and fetching what differs.

Polling trusts the platform's "updated since" index; reconciliation checks the result. It
lists the ids and update times of the orders the platform changed in the last
``OMNIOMS_RECONCILE_HOURS`` (default 48), compares them with the orders stored for the
account, and fetches one by one those that are missing or older here than there. The counts
(the platform's, ours, missing, stale) stay on the account's
:class:`~omnioms.channels.models.SyncState` for the channel health page.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from omnioms.channels.adapters.base import Record
from omnioms.channels.clients import ClientError, OrderStamp, PlatformClient, get_client
from omnioms.channels.models import ChannelAccount, SyncState
from omnioms.orders.models import Order
from omnioms.sync.pull import is_pollable, retry_delay, store_records, sync_state

logger = logging.getLogger(__name__)

FETCH_BATCH = 100
"""Fetched orders stored per transaction."""
LOOKUP_CHUNK = 500
"""Ids per ``IN (...)`` query (SQLite's variable limit is far above, but plans stay small)."""


def reconcile_window() -> timedelta:
    return timedelta(hours=int(getattr(settings, "OMNIOMS_RECONCILE_HOURS", 48)))


def reconcile_interval() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "OMNIOMS_RECONCILE_EVERY_SECONDS", 3600)))


@dataclass
class ReconcileSummary:
    account: str
    since: datetime
    until: datetime
    platform_count: int = 0
    our_count: int = 0
    missing: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    fetched: int = 0
    dead_lettered: int = 0
    error: str = ""

    def text(self) -> str:
        line = (
            f"{self.account}: {self.platform_count} orders on the platform changed since "
            f"{self.since:%Y-%m-%d %H:%M} UTC, {self.our_count} here; {len(self.missing)} "
            f"missing, {len(self.stale)} stale, {self.fetched} fetched"
        )
        if self.dead_lettered:
            line += f", {self.dead_lettered} dead-lettered"
        return f"{line}; failed: {self.error}" if self.error else line


def reconcile_account(
    account: ChannelAccount,
    *,
    client: PlatformClient | None = None,
    now: datetime | None = None,
    window: timedelta | None = None,
) -> ReconcileSummary:
    """Compare, fetch what differs, and record the counts. A :class:`ClientError` is recorded
    (summary and sync state) rather than raised; what was fetched before it stays stored."""
    until = now or timezone.now()
    since = until - (window or reconcile_window())
    summary = ReconcileSummary(account=account.name, since=since, until=until)
    own_client = client is None
    try:
        client = client or get_client(account)
        platform = _platform_stamps(client, since, until, account, summary)
        summary.platform_count = len(platform)
        ours = _our_stamps(account, list(platform))
        for external_id, stamp in platform.items():
            if external_id not in ours:
                summary.missing.append(external_id)
            elif _newer(stamp, ours[external_id]):
                summary.stale.append(external_id)
        _fetch(client, account, summary.missing + summary.stale, summary)
    except ClientError as exc:
        summary.error = str(exc)
    finally:
        if own_client and client is not None:
            client.close()
    summary.our_count = Order.objects.filter(
        account=account, source_updated_at__gte=since, source_updated_at__lt=until
    ).count()
    _record(account, summary)
    logger.info("reconcile %s", summary.text())
    return summary


def _platform_stamps(
    client: PlatformClient,
    since: datetime,
    until: datetime,
    account: ChannelAccount,
    summary: ReconcileSummary,
) -> dict[str, OrderStamp]:
    stamps: dict[str, OrderStamp] = {}
    cursor = None
    while True:
        page = client.list_updated(since, until, cursor)
        for stamp in page.stamps:
            known = stamps.get(stamp.external_id)
            if known is None or _newer(stamp, (known.updated_at, known.version)):
                stamps[stamp.external_id] = stamp
        if page.unreadable:
            # Orders the adapter cannot read are kept as dead letters, as a poll would.
            with transaction.atomic():
                stored = store_records(account, page.unreadable)
            summary.dead_lettered += stored.dead_lettered
        if (cursor := page.next_cursor) is None:
            return stamps


def _our_stamps(
    account: ChannelAccount, external_ids: list[str]
) -> dict[str, tuple[datetime | None, int | None]]:
    ours: dict[str, tuple[datetime | None, int | None]] = {}
    for start in range(0, len(external_ids), LOOKUP_CHUNK):
        chunk = external_ids[start : start + LOOKUP_CHUNK]
        for external_id, updated_at, version in Order.objects.filter(
            account=account, external_id__in=chunk
        ).values_list("external_id", "source_updated_at", "source_version"):
            ours[external_id] = (updated_at, version)
    return ours


def _newer(stamp: OrderStamp, ours: tuple[datetime | None, int | None]) -> bool:
    """Whether the platform's copy is newer than ours, by version when both have one, else by
    update time. Unknown on either side is never "newer": nothing to act on."""
    our_time, our_version = ours
    if stamp.version is not None and our_version is not None:
        return stamp.version > our_version
    if stamp.updated_at is not None and our_time is not None:
        return stamp.updated_at > our_time
    return False


def _fetch(
    client: PlatformClient,
    account: ChannelAccount,
    external_ids: list[str],
    summary: ReconcileSummary,
) -> None:
    batch: list[Record] = []
    for external_id in external_ids:
        try:
            batch.append(client.fetch_order(external_id))
        except ClientError as exc:
            if exc.retryable:
                _store(account, batch, summary)
                raise
            # Gone between the listing and the fetch, or refused: the next run sees it again.
            logger.warning("reconcile %s: order %s: %s", account.name, external_id, exc)
            continue
        if len(batch) >= FETCH_BATCH:
            _store(account, batch, summary)
            batch = []
    _store(account, batch, summary)


def _store(account: ChannelAccount, records: list[Record], summary: ReconcileSummary) -> None:
    if not records:
        return
    with transaction.atomic():
        stored = store_records(account, records)
    summary.fetched += stored.records - stored.dead_lettered
    summary.dead_lettered += stored.dead_lettered


def _record(account: ChannelAccount, summary: ReconcileSummary) -> None:
    state = sync_state(account)
    now = timezone.now()
    if summary.error:
        state.last_reconcile_error = summary.error[:2000]
        state.next_reconcile_at = now + retry_delay(1, int(reconcile_interval().total_seconds()))
        state.save(update_fields=["last_reconcile_error", "next_reconcile_at"])
        return
    state.last_reconciled_at = now
    state.last_reconcile_error = ""
    state.reconcile_since = summary.since
    state.platform_order_count = summary.platform_count
    state.our_order_count = summary.our_count
    state.missing_count = len(summary.missing)
    state.stale_count = len(summary.stale)
    state.next_reconcile_at = now + reconcile_interval()
    state.save()


def reconcile_due(*, limit: int = 1) -> int:
    """The worker's step: reconcile accounts whose next reconciliation is due."""
    now = timezone.now()
    done = 0
    for account in ChannelAccount.objects.filter(is_active=True):
        if done >= limit or not is_pollable(account):
            continue
        state = sync_state(account)
        if not state.pull_enabled:
            continue
        due = Q(next_reconcile_at__isnull=True) | Q(next_reconcile_at__lte=now)
        # Claimed with a lease, as polls are, so that two workers do not both reconcile.
        lease = now + timedelta(minutes=30)
        if SyncState.objects.filter(due, pk=account.pk).update(next_reconcile_at=lease):
            reconcile_account(account)
            done += 1
    return done
