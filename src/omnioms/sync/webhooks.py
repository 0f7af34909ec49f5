"""Webhooks: accept fast, process in batches.

A platform wants its answer within seconds and retries what it does not get, so the HTTP
path only verifies the signature, stores the raw bytes (deduplicated on the platform's event
id) and commits: that is the durable promise behind the 2xx. The intake worker
(:func:`process_received`, a step of :mod:`omnioms.core.worker`, which ``omnioms serve``
starts or ``omnioms worker`` runs) then claims
received payloads in batches, normalises them and upserts their orders, which is several
times faster per order than one transaction per delivery. The payloads table is the queue,
so nothing accepted can be lost between the two steps, and nothing needs a broker.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from functools import partial

from django.db import IntegrityError, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import NormalizationError, WebhookMeta
from omnioms.channels.models import ChannelAccount, InboundPayload, PayloadOutcome, PayloadSource
from omnioms.core.bulk import bulk_insert
from omnioms.core.inputs import NUL
from omnioms.sync.intake import (
    UNSTORABLE,
    atomically,
    dead_letter,
    new_payload,
    process_payloads,
    unstorable_reason,
)

logger = logging.getLogger(__name__)

BATCH = 200
"""Payloads per worker transaction: big enough to amortise the upsert, small enough that on
SQLite the webhook requests waiting for the write lock wait a fraction of a second."""


class InvalidSignature(Exception):
    """The webhook's signature is missing or does not match the account's secret."""


@dataclass
class WebhookResult:
    payload_id: int
    outcome: str
    response: bytes | None = None
    """The body the platform expects in the 2xx answer, if any (Douyin)."""


ACCOUNT_CACHE_SECONDS = 2.0
ACCOUNT_CACHE_SIZE = 1_000
"""Names remembered at most: misses are remembered too, and anyone can send random names."""
_accounts: dict[str, tuple[float, ChannelAccount | None]] = {}
_ACCOUNT_NAME = re.compile(r"[-a-zA-Z0-9_]{1,100}")
"""What ``ChannelAccount.name`` (a slug) can hold."""


def webhook_account(name: str) -> ChannelAccount | None:
    """The active account a webhook URL names, remembered for a couple of seconds per process.

    Platforms can send hundreds of webhooks a second; reading the account row for each was a
    third of the cost of accepting one. A changed secret or a deactivated account takes effect
    within ``ACCOUNT_CACHE_SECONDS``.
    """
    if not _ACCOUNT_NAME.fullmatch(name):
        return None  # no account has such a name (a NUL would even fail the query on PostgreSQL)
    now = time.monotonic()
    cached = _accounts.get(name)
    if cached is not None and cached[0] > now:
        return cached[1]
    account = ChannelAccount.objects.filter(name=name, is_active=True).order_by().first()
    if len(_accounts) >= ACCOUNT_CACHE_SIZE:
        for stale in [key for key, (until, _) in _accounts.items() if until <= now]:
            del _accounts[stale]
        if len(_accounts) >= ACCOUNT_CACHE_SIZE:
            _accounts.clear()
    _accounts[name] = (now + ACCOUNT_CACHE_SECONDS, account)
    return account


def forget_webhook_accounts(**_: object) -> None:
    _accounts.clear()


def accept_webhook(
    account: ChannelAccount, *, body: bytes, headers: Mapping[str, str], url: str = ""
) -> WebhookResult:
    """Verify and durably store one delivery; the worker normalises it later.

    Raises :class:`InvalidSignature` before anything is stored. Outcome ``received`` (queued),
    ``duplicate`` (its event id was stored before; kept, changes nothing) or ``ignored`` (a
    platform's verification ping). Owns its transaction: the row is committed on return.
    """
    adapter = get_adapter(account.platform)
    if not adapter.verify_signature(body, headers, account.active_secrets(), url):
        raise InvalidSignature(f"signature does not match the secret of account {account.name!r}")
    try:
        meta = adapter.webhook_meta(body, headers)
    except (NormalizationError, ValueError, RecursionError):
        meta = WebhookMeta()  # the body is read properly by the worker, and dead-lettered if bad
    for attempt in (1, 2):
        payload = _new_delivery(account, body=body, headers=headers, meta=meta)
        if meta.is_ping:
            payload.outcome = PayloadOutcome.IGNORED
        try:
            # One INSERT is its own transaction in autocommit mode: committed when it returns,
            # in one round trip instead of BEGIN, INSERT, COMMIT. Inside a caller's transaction
            # it runs in a savepoint, so that a refused duplicate leaves the caller's work alone.
            with transaction.atomic() if _in_transaction() else nullcontext():
                if attempt > 1 and _is_known_event(account, meta):
                    payload.dedupe_key = None
                    payload.outcome = PayloadOutcome.DUPLICATE
                bulk_insert([payload])
            return WebhookResult(payload.pk, payload.outcome, meta.response)
        except IntegrityError:
            # The unique index on (account, dedupe_key) refused a repeat of a stored event:
            # looking it up only now keeps the common case (a new event) to one statement.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def receive_webhook(
    account: ChannelAccount, *, body: bytes, headers: Mapping[str, str], url: str = ""
) -> WebhookResult:
    """Accept a delivery and process it at once; for callers that want the outcome now
    (scripts, the demo loader, tests). The same two steps as HTTP plus worker."""
    result = accept_webhook(account, body=body, headers=headers, url=url)
    if result.outcome != PayloadOutcome.RECEIVED:
        return result
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                payload = InboundPayload.objects.select_for_update().get(pk=result.payload_id)
                if payload.outcome == PayloadOutcome.RECEIVED:  # not taken by a worker meanwhile
                    process_payloads([payload])
                result.outcome = payload.outcome
            return result
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def process_received(*, limit: int = BATCH) -> int:
    """The worker's step: claim up to ``limit`` received payloads, oldest first, and process
    them in one transaction. Returns how many it took. Several workers may run at once on
    PostgreSQL (``SKIP LOCKED``); on SQLite the write lock serialises them.

    A batch that fails on something in one payload's data (:data:`intake.UNSTORABLE`) is taken
    again one payload at a time, and a payload that still fails becomes a dead letter with the
    error as its reason, so that one bad delivery cannot hold up everything queued behind it.
    """
    try:
        return atomically(partial(_process_claimed, limit))
    except UNSTORABLE as exc:
        logger.warning(
            "an intake batch could not be stored (%s); processing it one payload at a time",
            unstorable_reason(exc),
        )
    with transaction.atomic():
        ids = list(_claim().values_list("pk", flat=True)[:limit])
    for pk in ids:
        try:
            atomically(partial(_process_claimed, 1, pk=pk))
        except UNSTORABLE as exc:
            with transaction.atomic():
                payload = _claim().filter(pk=pk).first()
                if payload is not None:
                    dead_letter(payload, unstorable_reason(exc))
    return len(ids)


def _claim() -> QuerySet[InboundPayload]:
    """Received payloads, oldest first, locked for this transaction (skipping locked ones)."""
    return (
        InboundPayload.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("account")
        .defer("headers")
        .filter(outcome=PayloadOutcome.RECEIVED)
        .order_by("pk")
    )


def _process_claimed(limit: int, *, pk: int | None = None) -> int:
    """Claim and process received payloads; call in a transaction (:func:`atomically`)."""
    claimed = _claim() if pk is None else _claim().filter(pk=pk)
    payloads = list(claimed[:limit])
    process_payloads(payloads)
    return len(payloads)


def _in_transaction() -> bool:
    return transaction.get_connection(router.db_for_write(InboundPayload)).in_atomic_block


def _is_known_event(account: ChannelAccount, meta: WebhookMeta) -> bool:
    key = dedupe_key(meta.event_id)
    return bool(key and InboundPayload.objects.filter(account=account, dedupe_key=key).exists())


DEDUPE_KEY_LENGTH = InboundPayload._meta.get_field("dedupe_key").max_length or 200


def dedupe_key(event_id: str | None) -> str | None:
    """The event id as the unique index holds it: as it is when the column can hold it, else
    its sha256 (a Douyin push of many messages joins all their ids; an id read from a body may
    hold NUL, which PostgreSQL cannot store). Cutting it short instead would make two
    different pushes that share a long prefix look like one."""
    if not event_id:
        return None
    if len(event_id) <= DEDUPE_KEY_LENGTH and NUL not in event_id:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()


def _shown(value: str | None, length: int) -> str:
    """A delivery's id or topic for the columns that show it: cut to ``length``, NUL made
    visible (PostgreSQL cannot store it; the body keeps the original)."""
    return (value or "").replace(NUL, "\ufffd")[:length]


def _new_delivery(
    account: ChannelAccount, *, body: bytes, headers: Mapping[str, str], meta: WebhookMeta
) -> InboundPayload:
    """The unsaved row of a delivery; it claims its event id, so a repeat cannot be inserted."""
    payload: InboundPayload = new_payload(
        account_id=account.pk,
        source=PayloadSource.WEBHOOK,
        received_at=timezone.now(),
        content_type=headers.get("Content-Type", headers.get("content-type", ""))[:100]
        or "application/json",
        headers=dict(headers),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        event_id=_shown(meta.event_id, 200),
        delivery_id=_shown(meta.delivery_id, 200),
        topic=_shown(meta.topic, 100),
        dedupe_key=dedupe_key(meta.event_id),
        outcome=PayloadOutcome.RECEIVED,
    )
    return payload
