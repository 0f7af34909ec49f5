"""Polling the platforms: orders changed since a cursor, and orders thin webhooks only name.

Webhooks arrive late, twice or never, so every account with an API is also polled. A poll asks
for the orders updated in ``[cursor - overlap, now)``: the overlap re-reads the last minutes of
the previous window, so an order the platform indexed late is not lost between two polls. Each
order read is stored as an :class:`~omnioms.channels.models.InboundPayload` (source ``pull``)
and goes through the same idempotent upsert as webhooks: an order read twice is ``unchanged``.

The cursor (``SyncState.cursor``) moves only in the transaction that stores the last page of
the window, so a poll that fails half-way leaves it where it was and the next poll reads the
window again. A long window is read a bounded number of pages per call (the worker keeps its
other steps going) and resumes from the stored page cursor.

Thin webhooks (Square's ``order.*`` events, Douyin's id-only pushes) are dead-lettered by the
intake with "must be fetched"; :func:`fetch_named_orders` finds the orders they name, fetches
them and resolves the dead letter.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import NormalizationError, Record, split_records
from omnioms.channels.clients import ClientError, Page, PlatformClient, get_client
from omnioms.channels.clients.registry import has_client, named_orders_finder
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadOutcome,
    PayloadSource,
    SyncState,
    bounded_reason,
)
from omnioms.channels.normalizing import (
    account_context,
    normalize_record,
    normalize_records,
    with_label,
)
from omnioms.core.actor import Actor
from omnioms.sync.intake import OutcomeCounts, atomically, record_payloads, store_normalized

logger = logging.getLogger(__name__)


def overlap_default() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "OMNIOMS_PULL_OVERLAP_SECONDS", 600)))


def first_lookback() -> timedelta:
    """How far back the first poll of an account reads."""
    return timedelta(days=int(getattr(settings, "OMNIOMS_PULL_FIRST_DAYS", 7)))


MAX_PAGES_PER_CALL = 20
"""Pages one worker call reads before it lets the other steps run; the window resumes."""
LEASE = timedelta(minutes=10)
"""How long a worker's claim on an account's poll lasts if it dies mid-poll."""
RETRY_CAP = timedelta(hours=1)
THIN_SETTLE = timedelta(seconds=5)
"""Dead letters younger than this are left for the next call: a transaction that took its id
earlier may still be committing (PostgreSQL), and scanning past it would skip it."""


@dataclass
class StoreSummary(OutcomeCounts):
    orders: dict[str, int] = field(default_factory=dict)
    """external id -> order id of everything stored."""

    @property
    def records(self) -> int:
        return self.total

    def merge(self, other: StoreSummary) -> None:
        for name in ("created", "updated", "unchanged", "stale", "dead_lettered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.orders.update(other.orders)


@dataclass
class PullSummary(StoreSummary):
    account: str = ""
    pages: int = 0
    finished: bool = False
    """The window was read to its end and the cursor moved."""
    cursor: datetime | None = None
    error: str = ""

    def text(self) -> str:
        line = (
            f"{self.account}: {self.pages} pages, {self.records} orders read: {self.created} "
            f"created, {self.updated} updated, {self.unchanged} unchanged, {self.stale} stale, "
            f"{self.dead_lettered} dead-lettered"
        )
        if self.error:
            return f"{line}; failed: {self.error}"
        if self.finished:
            return f"{line}; read up to {self.cursor:%Y-%m-%d %H:%M:%S} UTC"
        return f"{line}; more pages to read"


# ----------------------------------------------------------------------------------------------
# Storing what a client returned


def store_records(
    account: ChannelAccount, records: Sequence[Record], *, summary: StoreSummary | None = None
) -> StoreSummary:
    """Store each record as a ``pull`` payload and upsert its order, or dead-letter it.

    Call inside a transaction. Unreadable records keep their bytes and reason like any other
    dead letter, so a fixed adapter can replay them.
    """
    summary = summary if summary is not None else StoreSummary()
    adapter = get_adapter(account.platform)
    payloads = record_payloads(account, records, source=PayloadSource.PULL, topic="pull")
    results = normalize_records(adapter, account_context(account), list(records))
    good, outcomes, problems = store_normalized(
        account, payloads, results, actor=Actor.channel(account.name)
    )
    for _ in problems:
        summary.add(PayloadOutcome.DEAD_LETTERED)
    for item, outcome in zip(good, outcomes, strict=True):
        summary.add(outcome)
        # The id, not the related object: reading ``payload.order`` here cost a query each.
        if item.payload.order_id is not None:
            summary.orders[item.order.external_id] = item.payload.order_id
    return summary


# ----------------------------------------------------------------------------------------------
# Polling


def sync_state(account: ChannelAccount) -> SyncState:
    return SyncState.objects.get_or_create(account=account)[0]


def is_pollable(account: ChannelAccount) -> bool:
    return bool(account.is_active and account.api_credentials and has_client(account.platform))


def poll_problem(account: ChannelAccount) -> str:
    """Why the account's API cannot be called at all, or ``""``: what ``omnioms pull`` and
    ``omnioms reconcile`` say instead of recording a failed poll on an account never set up."""
    if not has_client(account.platform):
        return (
            f"account {account.name}: platform {account.platform} has no API client, so its "
            "orders arrive by webhook or file import only"
        )
    if not account.api_credentials:
        return (
            f"account {account.name} has no API credentials: enter them in the admin "
            "(channel account, API credentials)"
        )
    return ""


def pull_account(
    account: ChannelAccount,
    *,
    client: PlatformClient | None = None,
    now: datetime | None = None,
    since: datetime | None = None,
    max_pages: int | None = None,
) -> PullSummary:
    """Read the account's changed orders since its cursor (or ``since``) up to now.

    Reads at most ``max_pages`` pages (all when None); an unfinished window resumes at the next
    call. A :class:`ClientError` is recorded on the sync state and in the summary, not raised:
    the cursor stays, and the next poll (after a backoff) reads the window again.
    """
    now = now or timezone.now()
    state = sync_state(account)
    summary = PullSummary(account=account.name)
    if since is not None or state.window_start is None or state.window_end is None:
        overlap = (
            timedelta(seconds=state.overlap_seconds)
            if state.overlap_seconds is not None
            else overlap_default()
        )
        start = since if since is not None else (state.cursor or now - first_lookback()) - overlap
        state.window_start, state.window_end, state.page_cursor = start, now, ""
    window_start, window_end = state.window_start, state.window_end
    assert window_start is not None
    assert window_end is not None
    state.last_poll_started_at = timezone.now()
    state.save(update_fields=["window_start", "window_end", "page_cursor", "last_poll_started_at"])

    page_cursor = state.page_cursor or None
    own_client = client is None
    try:
        client = client or get_client(account)
        while True:
            page = client.fetch_updated(window_start, window_end, page_cursor)
            summary.pages += 1
            last = page.next_cursor is None

            summary.merge(atomically(partial(_store_page, account, page, window_end)))
            if last:
                summary.finished, summary.cursor = True, window_end
                SyncState.objects.filter(pk=account.pk).update(last_poll_orders=summary.records)
                break
            page_cursor = page.next_cursor
            if max_pages is not None and summary.pages >= max_pages:
                break
    except ClientError as exc:
        summary.error = str(exc)
        _record_failure(account, exc)
    finally:
        if own_client and client is not None:
            client.close()
    logger.info("pull %s", summary.text())
    return summary


def _store_page(account: ChannelAccount, page: Page, window_end: datetime) -> StoreSummary:
    """Store one page; on the last page of the window, move the cursor in the same
    transaction, so that it never gets ahead of the orders stored."""
    stored = store_records(account, page.records)
    if page.next_cursor is None:
        _finish_window(account, window_end)
    else:
        SyncState.objects.filter(pk=account.pk).update(page_cursor=page.next_cursor)
    return stored


def _finish_window(account: ChannelAccount, window_end: datetime) -> None:
    state = SyncState.objects.select_for_update().get(pk=account.pk)
    now = timezone.now()
    if state.cursor is None or window_end > state.cursor:
        state.cursor = window_end
    state.window_start = state.window_end = None
    state.page_cursor = ""
    state.last_poll_succeeded_at = now
    state.last_poll_error = ""
    state.failures = 0
    state.next_poll_at = now + timedelta(seconds=state.poll_interval_seconds)
    state.save()


def _record_failure(account: ChannelAccount, exc: ClientError) -> None:
    state = sync_state(account)
    state.failures += 1
    state.last_poll_error = str(exc)[:2000]
    state.next_poll_at = timezone.now() + retry_delay(state.failures, state.poll_interval_seconds)
    fields = ["failures", "last_poll_error", "next_poll_at"]
    if not exc.retryable:
        # A page cursor the platform refuses (expired) must not be asked for again: the window
        # starts over from the cursor, which has not moved.
        state.window_start = state.window_end = None
        state.page_cursor = ""
        fields += ["window_start", "window_end", "page_cursor"]
    state.save(update_fields=fields)
    logger.warning("pull %s failed (%d in a row): %s", account.name, state.failures, exc)


def retry_delay(failures: int, interval_seconds: int) -> timedelta:
    """Exponential from one poll interval, capped at an hour, with jitter."""
    base = max(30, interval_seconds) * 2 ** min(failures - 1, 10)
    seconds = min(RETRY_CAP.total_seconds(), base)
    return timedelta(seconds=random.uniform(seconds / 2, seconds))


def pull_due(*, limit: int = 1) -> int:
    """The worker's step: poll accounts whose next poll is due; return the pages read."""
    now = timezone.now()
    pages = 0
    for account in _due_accounts(now, limit):
        pages += pull_account(account, max_pages=MAX_PAGES_PER_CALL).pages
        if SyncState.objects.filter(pk=account.pk, window_start__isnull=False).exists():
            # More pages wait: due again at once (pull_account pushed the lease forward).
            SyncState.objects.filter(pk=account.pk, failures=0).update(next_poll_at=now)
    return pages


def _due_accounts(now: datetime, limit: int) -> list[ChannelAccount]:
    """Accounts due for a poll, each claimed with a lease so that two workers do not poll it
    at once (a conditional UPDATE: works the same on SQLite and PostgreSQL)."""
    candidates = [
        account
        for account in ChannelAccount.objects.filter(is_active=True).select_related("sync_state")
        if is_pollable(account)
    ]
    claimed: list[ChannelAccount] = []
    for account in candidates:
        state = sync_state(account)
        if not state.pull_enabled:
            continue
        due = Q(next_poll_at__isnull=True) | Q(next_poll_at__lte=now)
        if SyncState.objects.filter(due, pk=account.pk).update(next_poll_at=now + LEASE):
            claimed.append(account)
            if len(claimed) >= limit:
                break
    return claimed


# ----------------------------------------------------------------------------------------------
# Thin webhooks


@dataclass
class FetchSummary:
    letters: int = 0
    fetched: int = 0
    resolved: int = 0
    error: str = ""


_thin_backoff: dict[int, datetime] = {}


def fetch_named_orders(
    account: ChannelAccount, *, client: PlatformClient | None = None, limit: int = 50
) -> FetchSummary:
    """Fetch the orders that dead-lettered thin webhooks of this account name.

    Each dead letter from a webhook after ``SyncState.thin_scanned_id`` is read with the
    platform's finder; the orders it names are fetched, stored and upserted, and the letter is
    resolved (its payload's outcome becomes ``fetched``, linked to the order) in one
    transaction. A letter that also failed for another reason stays open. A retryable error
    stops the scan at that letter, to try again later; an order the platform refuses to give
    (e.g. it does not exist) is written into the letter's reason and the scan goes on.
    """
    summary = FetchSummary()
    finder = named_orders_finder(account.platform)
    if finder is None:
        return summary
    state = sync_state(account)
    letters = list(
        DeadLetter.objects.filter(
            account=account,
            pk__gt=state.thin_scanned_id,
            created_at__lte=timezone.now() - THIN_SETTLE,
            payload__source=PayloadSource.WEBHOOK,
        )
        .select_related("payload")
        .order_by("pk")[:limit]
    )
    if not letters:
        return summary
    own_client = client is None
    try:
        for letter in letters:
            summary.letters += 1
            if letter.resolved_at is not None:
                _advance_thin(account, letter.pk)
                continue
            names, other_problems = _named(account, bytes(letter.payload.body), finder)
            if not names:
                _advance_thin(account, letter.pk)
                continue
            client = client or get_client(account)
            records: list[Record] = []
            refused: list[str] = []
            for external_id in names:
                try:
                    records.append(client.fetch_order(external_id))
                except ClientError as exc:
                    if exc.retryable:
                        raise
                    refused.append(f"fetching order {external_id} failed: {exc}")
            _store_named(account, letter, records, refused + other_problems)
            summary.fetched += len(records)
            summary.resolved += not (refused or other_problems)
    except ClientError as exc:
        summary.error = str(exc)
        logger.warning("fetching orders named by %s's webhooks failed: %s", account.name, exc)
    finally:
        if own_client and client is not None:
            client.close()
    return summary


def _named(
    account: ChannelAccount, body: bytes, finder: Callable[[bytes], list[str]]
) -> tuple[list[str], list[str]]:
    """Orders the payload's unreadable records name, and the problems of the others."""
    adapter = get_adapter(account.platform)
    context = account_context(account)
    names: list[str] = []
    problems: list[str] = []
    try:
        records = list(split_records(adapter, body, "", context))
    except NormalizationError as exc:
        return [], [str(exc)]
    for record in records:
        try:
            normalize_record(adapter, record, context)
            continue
        except NormalizationError as exc:
            reason = with_label(record.label, str(exc))
        try:
            found = finder(record.raw)
        except (NormalizationError, ValueError):
            found = []
        if found:
            names.extend(found)
        else:
            problems.append(reason)
    return list(dict.fromkeys(names)), problems


def _store_named(
    account: ChannelAccount, letter: DeadLetter, records: list[Record], problems: list[str]
) -> None:
    def work() -> None:
        stored = store_records(account, records)
        payload = letter.payload
        order_id = next(iter(stored.orders.values()), None)
        now = timezone.now()
        if problems:
            DeadLetter.objects.filter(pk=letter.pk).update(
                reason=bounded_reason("; ".join([letter.reason, *problems])), last_attempt_at=now
            )
        else:
            InboundPayload.objects.filter(pk=payload.pk).update(
                outcome=PayloadOutcome.FETCHED, order_id=order_id
            )
            DeadLetter.objects.filter(pk=letter.pk).update(resolved_at=now, last_attempt_at=now)
        SyncState.objects.filter(pk=account.pk).update(thin_scanned_id=letter.pk)

    atomically(work)


def _advance_thin(account: ChannelAccount, letter_id: int) -> None:
    SyncState.objects.filter(pk=account.pk, thin_scanned_id__lt=letter_id).update(
        thin_scanned_id=letter_id
    )


def fetch_named_due() -> int:
    """The worker's step: fetch what new thin webhooks name, for every account that has them."""
    now = timezone.now()
    done = 0
    for account in ChannelAccount.objects.filter(is_active=True):
        if not is_pollable(account) or named_orders_finder(account.platform) is None:
            continue
        if _thin_backoff.get(account.pk, now) > now:
            continue
        summary = fetch_named_orders(account)
        if summary.error:
            _thin_backoff[account.pk] = now + timedelta(seconds=30)
        done += summary.fetched
    return done
