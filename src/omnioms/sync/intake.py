"""The core of intake shared by webhooks, file imports and replays.

Normalising stored payloads into orders, and keeping what cannot be read as dead letters.
Functions here run inside the caller's transaction unless they say otherwise.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import TypeVar

from django.db import DataError, IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import (
    Adapter,
    NormalizationError,
    Record,
    split_records,
)
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadOutcome,
    bounded_reason,
)
from omnioms.channels.normalizing import (
    Normalized,
    account_context,
    normalize_record,
    with_label,
)
from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, bulk_set, new_rows
from omnioms.orders.services import Incoming, upsert_orders

logger = logging.getLogger(__name__)

new_payload = new_rows(InboundPayload)
T = TypeVar("T")


@dataclass
class OutcomeCounts:
    """How many records of an import or a pull ended how."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    dead_lettered: int = 0

    def add(self, outcome: str) -> None:
        name = {
            PayloadOutcome.CREATED: "created",
            PayloadOutcome.UPDATED: "updated",
            PayloadOutcome.STALE: "stale",
            PayloadOutcome.DEAD_LETTERED: "dead_lettered",
        }.get(PayloadOutcome(outcome), "unchanged")
        setattr(self, name, getattr(self, name) + 1)

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale + self.dead_lettered


def record_payloads(
    account: ChannelAccount,
    records: Sequence[Record],
    *,
    source: str,
    filename: str = "",
    topic: str = "",
) -> list[InboundPayload]:
    """Unsaved payload rows for the records of a file or an API answer; saved in bulk, with
    their outcome, by :func:`store_normalized` (or :func:`dead_letter_new`)."""
    now = timezone.now()
    return [
        new_payload(
            account_id=account.pk,
            source=source,
            received_at=now,
            content_type=record.content_type,
            body=record.raw,
            sha256=hashlib.sha256(record.raw).hexdigest(),
            filename=filename[:300],
            record_label=record.label[:100],
            topic=topic,
        )
        for record in records
    ]


UNSTORABLE = (DataError, IntegrityError, ArithmeticError, ValueError, TypeError, LookupError)
"""What writing an order can raise because of the order's own data (a value the database
refuses, a number it cannot hold) and would raise again on every try. Lost connections, locks
and deadlocks (``OperationalError``) and errors in the code's own SQL (``ProgrammingError``)
are not in it: they say nothing about the order, and the batch is tried again whole."""


def atomically(work: Callable[[], T]) -> T:
    """Run ``work`` in a transaction, once more if a concurrent insert of the same new order
    (another worker, a pull, an inline receive) won the race: the second run finds its row and
    updates it."""
    try:
        with transaction.atomic():
            return work()
    except IntegrityError:
        with transaction.atomic():
            return work()


def unstorable_reason(exc: BaseException) -> str:
    """A dead letter's reason for an order that normalised but could not be written."""
    detail = " ".join(str(exc).split())
    return f"could not be stored ({type(exc).__name__}: {detail})"[:2000]


def store_normalized(
    account: ChannelAccount,
    payloads: Sequence[InboundPayload],
    results: Sequence[Normalized],
    *,
    actor: Actor,
) -> tuple[list[Incoming], list[str], list[str]]:
    """Dead-letter the payloads whose record could not be read and upsert the others' orders.

    Call inside a transaction. Returns the upserted items, their outcomes, and the dead
    letters' reasons, in order. If writing the batch fails on something in the data
    (:data:`UNSTORABLE`), it is written again one record at a time, and the records that still
    fail become dead letters with the error as their reason: one bad order does not stop the
    file or the pull it came in.
    """
    try:
        with transaction.atomic():  # a savepoint: a failed batch leaves the caller's work alone
            return _store_batch(account, payloads, results, actor=actor)
    except UNSTORABLE as exc:
        logger.warning(
            "%s: a batch of %d records could not be stored (%s); storing them one by one",
            account.name,
            len(payloads),
            unstorable_reason(exc),
        )
    good: list[Incoming] = []
    outcomes: list[str] = []
    reasons: list[str] = []
    for payload, result in zip(payloads, results, strict=True):
        _unsaved(payload)
        try:
            with transaction.atomic():
                one_good, one_outcomes, one_reasons = _store_batch(
                    account, [payload], [result], actor=actor
                )
        except UNSTORABLE as exc:
            _unsaved(payload)
            reasons.append(with_label(payload.record_label, unstorable_reason(exc)))
            dead_letter_new([payload], reasons[-1:])
            continue
        good += one_good
        outcomes += one_outcomes
        reasons += one_reasons
    return good, outcomes, reasons


def _store_batch(
    account: ChannelAccount,
    payloads: Sequence[InboundPayload],
    results: Sequence[Normalized],
    *,
    actor: Actor,
) -> tuple[list[Incoming], list[str], list[str]]:
    good: list[Incoming] = []
    bad: list[tuple[InboundPayload, str]] = []
    for payload, result in zip(payloads, results, strict=True):
        if result.order is not None:
            good.append(
                Incoming(
                    payload, result.order, digest=result.digest, contract_json=result.contract_json
                )
            )
        else:
            bad.append((payload, result.problem))
    reasons = [reason for _, reason in bad]
    dead_letter_new([payload for payload, _ in bad], reasons)
    return good, upsert_orders(account, good, actor=actor), reasons


_NEW_PAYLOAD_OUTCOME = InboundPayload._meta.get_field("outcome").get_default()


def _unsaved(payload: InboundPayload) -> None:
    """Undo what a rolled-back attempt left on a new payload row: its id, order and outcome."""
    payload.pk = None
    payload.order_id = None
    payload.outcome = _NEW_PAYLOAD_OUTCOME
    payload._state.adding = True


# A payload carrying several orders reports the most significant of their outcomes.
SIGNIFICANCE = {
    PayloadOutcome.CREATED: 0,
    PayloadOutcome.UPDATED: 1,
    PayloadOutcome.UNCHANGED: 2,
    PayloadOutcome.STALE: 3,
}


def normalize_payload(
    adapter: Adapter, account: ChannelAccount, body: bytes, filename: str
) -> tuple[list[NormalizedOrder], list[str]]:
    """Every order in a payload, and why each part that could not be read failed. Pure."""
    context = account_context(account)
    orders: list[NormalizedOrder] = []
    problems: list[str] = []
    try:
        for record in split_records(adapter, body, filename, context):
            try:
                orders.append(normalize_record(adapter, record, context))
            except NormalizationError as exc:
                problems.append(with_label(record.label, str(exc)))
    except NormalizationError as exc:
        problems.append(str(exc))
    if not orders and not problems:
        problems.append("the payload contains no order")
    return orders, problems


def dead_letter(payload: InboundPayload, reason: str) -> None:
    now = timezone.now()
    reason = bounded_reason(reason)
    payload.outcome = PayloadOutcome.DEAD_LETTERED
    payload.save(update_fields=["outcome"])
    letter, created = DeadLetter.objects.get_or_create(
        payload=payload,
        defaults={
            "account_id": payload.account_id,
            "reason": reason,
            "created_at": now,
            "last_attempt_at": now,
        },
    )
    if not created:
        letter.reason = reason
        letter.attempts += 1
        letter.last_attempt_at = now
        letter.resolved_at = None
        letter.save(update_fields=["reason", "attempts", "last_attempt_at", "resolved_at"])


def resolve_dead_letter(payload: InboundPayload) -> None:
    now = timezone.now()
    DeadLetter.objects.filter(payload=payload, resolved_at__isnull=True).update(
        resolved_at=now, last_attempt_at=now, attempts=F("attempts") + 1
    )


# ----------------------------------------------------------------------------------------------
# Accounts


def dead_letter_new(payloads: list[InboundPayload], reasons: list[str]) -> None:
    """Insert unsaved payloads as dead letters, in two statements however many there are."""
    now = timezone.now()
    for payload in payloads:
        payload.outcome = PayloadOutcome.DEAD_LETTERED
    bulk_insert(payloads)
    DeadLetter.objects.bulk_create(
        DeadLetter(
            payload=payload,
            account_id=payload.account_id,
            reason=bounded_reason(reason),
            created_at=now,
            last_attempt_at=now,
        )
        for payload, reason in zip(payloads, reasons, strict=True)
    )


# ----------------------------------------------------------------------------------------------
# Orders posted in the normalised shape (API, staff entry)


def process_payloads(
    payloads: Sequence[InboundPayload], *, replaying: bool = False, actor: Actor | None = None
) -> None:
    """Normalise stored payloads and upsert their orders, in one batch per account.

    Each payload gets its outcome; one that cannot be read (or that holds a part that cannot)
    becomes a dead letter with the reason. An order that normalised is written even if another
    in the same payload failed: the upsert is idempotent, so a replay changes only what was
    missing. With ``replaying``, a payload that now reads cleanly resolves its dead letter.
    Events name ``actor`` (a person replaying), else the payload's channel account.
    Call inside a transaction.
    """
    ordered = sorted(payloads, key=lambda p: (p.account_id, p.pk))
    for _account_id, group in groupby(ordered, key=lambda p: p.account_id):
        batch = list(group)
        account = batch[0].account
        adapter = get_adapter(account.platform)
        incoming: list[Incoming] = []
        failed: list[tuple[InboundPayload, str]] = []
        several: list[InboundPayload] = []
        for payload in batch:
            orders, problems = normalize_payload(
                adapter, account, bytes(payload.body), payload.filename
            )
            incoming.extend(Incoming(payload, order) for order in orders)
            if problems:
                failed.append((payload, "; ".join(problems)))
            elif len(orders) > 1:
                several.append(payload)
        outcomes = upsert_orders(account, incoming, actor=actor or Actor.channel(account.name))
        # upsert_orders left each payload the outcome of its last order; keep the most
        # significant one instead.
        best: dict[int, str] = {}
        for item, outcome in zip(incoming, outcomes, strict=True):
            kept = best.setdefault(id(item.payload), outcome)
            if SIGNIFICANCE[PayloadOutcome(outcome)] < SIGNIFICANCE[PayloadOutcome(kept)]:
                best[id(item.payload)] = outcome
        fix = [payload for payload in several if payload.outcome != best[id(payload)]]
        for payload in fix:
            payload.outcome = best[id(payload)]
        bulk_set(fix, ["outcome"])
        for payload, reason in failed:
            dead_letter(payload, reason)
        if replaying:
            for payload in batch:
                if payload.outcome != PayloadOutcome.DEAD_LETTERED:
                    resolve_dead_letter(payload)
