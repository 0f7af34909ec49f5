"""Durable intake: store first, then normalise and upsert; never drop what a channel sent.

Every use case here owns its transaction. A webhook's raw bytes and the order written from
them commit together, so a 2xx always means the bytes are on disk; if normalising fails the
bytes are kept as a dead letter with the reason, in the same commit.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from pydantic import ValidationError

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    WebhookMeta,
)
from omnioms.channels.adapters.manual import describe_validation_error
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    PayloadOutcome,
    PayloadSource,
)
from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.inventory.models import Location
from omnioms.orders.services import Incoming, upsert_orders

logger = logging.getLogger(__name__)

IMPORT_BATCH = 500
"""Records per transaction in a file import: large enough to amortise commits, small enough
that a crash loses little work and that SQLite's writer lock is released often."""


_new_payload = new_rows(InboundPayload)


class InvalidSignature(Exception):
    """The webhook's signature is missing or does not match the account's secret."""


@dataclass
class WebhookResult:
    payload_id: int
    outcome: str
    response: bytes | None = None


def account_context(account: ChannelAccount) -> AdapterContext:
    return AdapterContext(time_zone=ZoneInfo(account.time_zone), currency=account.default_currency)


def receive_webhook(
    account: ChannelAccount, *, body: bytes, headers: Mapping[str, str], url: str = ""
) -> WebhookResult:
    """Verify, store, deduplicate, normalise and upsert one webhook delivery.

    Raises :class:`InvalidSignature` before anything is stored. The payload is normalised in
    memory first; its raw bytes, outcome and the orders it carries are then written in one
    transaction. A repeat of an event already received (same platform event id) is stored as
    ``duplicate`` and changes nothing; one that cannot be read is stored as a dead letter.
    """
    adapter = get_adapter(account.platform)
    if not adapter.verify_signature(body, headers, account.active_secrets(), url):
        raise InvalidSignature(f"signature does not match the secret of account {account.name!r}")
    try:
        meta = adapter.webhook_meta(body, headers)
    except (NormalizationError, ValueError):
        meta = WebhookMeta()  # the body is read properly below, and dead-lettered if bad
    actor = Actor.channel(account.name)
    orders, problems = ([], []) if meta.is_ping else _normalize_payload(adapter, account, body, "")

    for attempt in (1, 2):
        payload = _new_delivery(account, body=body, headers=headers, meta=meta)
        try:
            with transaction.atomic():
                if attempt > 1 and _is_known_event(account, meta):
                    payload.dedupe_key = None
                    payload.outcome = PayloadOutcome.DUPLICATE
                    bulk_insert([payload])
                elif meta.is_ping:
                    payload.outcome = PayloadOutcome.IGNORED
                    bulk_insert([payload])
                else:
                    _write_payload(account, payload, orders, problems, actor=actor)
            return WebhookResult(payload.pk, payload.outcome, meta.response)
        except IntegrityError:
            # A repeated event id (the unique index on dedupe_key refused it), or two deliveries
            # of one new order raced: the second attempt sees the first one's rows and records
            # a duplicate or an update.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _is_known_event(account: ChannelAccount, meta: WebhookMeta) -> bool:
    return bool(
        meta.event_id
        and InboundPayload.objects.filter(account=account, dedupe_key=meta.event_id).exists()
    )


def _new_delivery(
    account: ChannelAccount, *, body: bytes, headers: Mapping[str, str], meta: WebhookMeta
) -> InboundPayload:
    """The unsaved row of a delivery; it claims its event id, so a repeat cannot be inserted."""
    payload: InboundPayload = _new_payload(
        account_id=account.pk,
        source=PayloadSource.WEBHOOK,
        received_at=timezone.now(),
        content_type=headers.get("Content-Type", headers.get("content-type", ""))[:100]
        or "application/json",
        headers=dict(headers),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        event_id=(meta.event_id or "")[:200],
        delivery_id=(meta.delivery_id or "")[:200],
        topic=(meta.topic or "")[:100],
        dedupe_key=(meta.event_id or None),
    )
    return payload


_SIGNIFICANCE = [
    PayloadOutcome.CREATED,
    PayloadOutcome.UPDATED,
    PayloadOutcome.UNCHANGED,
    PayloadOutcome.STALE,
]


def _normalize_payload(
    adapter: Adapter, account: ChannelAccount, body: bytes, filename: str
) -> tuple[list[NormalizedOrder], list[str]]:
    """Every order in a payload, and why each part that could not be read failed. Pure."""
    context = account_context(account)
    orders: list[NormalizedOrder] = []
    problems: list[str] = []
    try:
        for record in adapter.split(body, filename):
            try:
                orders.append(normalize_record(adapter, record, context))
            except NormalizationError as exc:
                problems.append(_with_label(record.label, str(exc)))
    except NormalizationError as exc:
        problems.append(str(exc))
    if not orders and not problems:
        problems.append("the payload contains no order")
    return orders, problems


def _write_payload(
    account: ChannelAccount,
    payload: InboundPayload,
    orders: list[NormalizedOrder],
    problems: list[str],
    *,
    actor: Actor,
) -> None:
    """Upsert a payload's orders and record its outcome, inserting it if new. In a transaction.

    An order that normalised is written even if another in the same payload failed: the upsert
    is idempotent, so replaying the whole payload later changes only what was missing.
    """
    outcomes: list[str] = []
    if orders:
        # Sets payload.outcome once per order (and inserts or updates the payload row).
        outcomes = upsert_orders(
            account, [Incoming(payload, order) for order in orders], actor=actor
        )
    if problems:
        reason = "; ".join(problems)
        if payload.pk is None:
            _dead_letter_new([payload], [reason])
        else:
            _dead_letter(payload, reason)
        return
    best = min(outcomes, key=lambda o: _SIGNIFICANCE.index(PayloadOutcome(o)))
    if best != payload.outcome:
        payload.outcome = best
        payload.save(update_fields=["outcome"])


def normalize_record(adapter: Adapter, record: Record, context: AdapterContext) -> NormalizedOrder:
    """Run an adapter, turning any failure into a :class:`NormalizationError` with a reason."""
    try:
        order = adapter.normalize(record, context)
    except NormalizationError:
        raise
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc
    except Exception as exc:  # an adapter bug must not lose the payload
        logger.exception("adapter %s failed on %s", adapter.code, record.label or "payload")
        raise NormalizationError(f"could not be read ({type(exc).__name__}: {exc})") from exc
    if order.channel != adapter.code and adapter.code != "manual":
        raise NormalizationError(f"adapter {adapter.code} produced a {order.channel} order")
    return order


def _with_label(label: str, message: str) -> str:
    """``rows 3-4: row 4: Qty: ...``, but not ``row 5: row 5: ...`` when the adapter named it."""
    if not label or message.startswith(f"{label}:"):
        return message
    return f"{label}: {message}"


def _dead_letter(payload: InboundPayload, reason: str) -> None:
    now = timezone.now()
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


def _resolve_dead_letter(payload: InboundPayload) -> None:
    now = timezone.now()
    DeadLetter.objects.filter(payload=payload, resolved_at__isnull=True).update(
        resolved_at=now, last_attempt_at=now, attempts=F("attempts") + 1
    )


# ----------------------------------------------------------------------------------------------
# Accounts


def create_account(
    *,
    name: str,
    platform: str,
    display_name: str = "",
    secret: str = "",
    time_zone: str = "Asia/Shanghai",
    currency: str = "CNY",
    location_code: str | None = None,
) -> ChannelAccount:
    """A channel account; raises ``ValueError`` naming the first bad field."""
    get_adapter(platform)  # raises UnknownPlatform with the list of known codes
    try:
        ZoneInfo(time_zone)
    except (KeyError, ValueError):
        raise ValueError(f"time_zone: {time_zone!r} is not an IANA time zone") from None
    location = None
    if location_code:
        location = Location.objects.filter(code=location_code).first()
        if location is None:
            raise ValueError(f"location: no location with code {location_code!r}")
    account = ChannelAccount(
        name=name,
        platform=platform,
        display_name=display_name,
        webhook_secret=secret,
        time_zone=time_zone,
        default_currency=currency.upper(),
        location=location,
    )
    try:
        account.full_clean()
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValueError(f"{field}: {' '.join(messages)}") from None
    account.save()
    return account


# ----------------------------------------------------------------------------------------------
# Files


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    dead_lettered: int = 0
    problems: list[str] = field(default_factory=list)
    """The first few dead-letter reasons, for the person running the import."""

    def add(self, outcome: str) -> None:
        if outcome == PayloadOutcome.CREATED:
            self.created += 1
        elif outcome == PayloadOutcome.UPDATED:
            self.updated += 1
        elif outcome == PayloadOutcome.STALE:
            self.stale += 1
        elif outcome == PayloadOutcome.DEAD_LETTERED:
            self.dead_lettered += 1
        else:
            self.unchanged += 1

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.stale + self.dead_lettered


def import_file(
    account: ChannelAccount, *, raw: bytes, filename: str, actor: Actor
) -> ImportSummary:
    """Store, normalise and upsert every order of a file, in batches of :data:`IMPORT_BATCH`.

    Each order keeps its own raw record (its rows, or its JSON object). A record that cannot be
    normalised is dead-lettered with its reason; the rest go on. A file that cannot be read at
    all (not CSV, broken JSON) is stored whole and dead-lettered.
    """
    adapter = get_adapter(account.platform)
    summary = ImportSummary()
    problem = _import_records(
        adapter, account, raw, filename=filename, actor=actor, summary=summary
    )
    if problem is not None:
        with transaction.atomic():
            _dead_letter_new(_payloads(account, [Record(raw=raw)], filename=filename), [problem])
        summary.add(PayloadOutcome.DEAD_LETTERED)
        summary.problems.append(problem)
    return summary


def _import_records(
    adapter: Adapter,
    account: ChannelAccount,
    raw: bytes,
    *,
    filename: str,
    actor: Actor,
    summary: ImportSummary,
) -> str | None:
    """Import what can be split off the file; return why the file could not be read, if so."""
    records = adapter.split(raw, filename)
    try:
        while batch := list(islice(records, IMPORT_BATCH)):
            _import_batch(adapter, account, batch, filename=filename, actor=actor, summary=summary)
    except NormalizationError as exc:
        return _with_label(filename, str(exc)) if filename not in str(exc) else str(exc)
    return None


def _payloads(
    account: ChannelAccount, records: Sequence[Record], *, filename: str
) -> list[InboundPayload]:
    """Unsaved payload rows for file records; saved in bulk with their outcome."""
    now = timezone.now()
    return [
        _new_payload(
            account_id=account.pk,
            source=PayloadSource.FILE,
            received_at=now,
            content_type=record.content_type,
            body=record.raw,
            sha256=hashlib.sha256(record.raw).hexdigest(),
            filename=filename[:300],
            record_label=record.label[:100],
        )
        for record in records
    ]


def _import_batch(
    adapter: Adapter,
    account: ChannelAccount,
    records: list[Record],
    *,
    filename: str,
    actor: Actor,
    summary: ImportSummary,
) -> None:
    context = account_context(account)
    good: list[Incoming] = []
    bad: list[tuple[InboundPayload, str]] = []
    for payload, record in zip(
        _payloads(account, records, filename=filename), records, strict=True
    ):
        try:
            good.append(Incoming(payload, normalize_record(adapter, record, context)))
        except NormalizationError as exc:
            bad.append((payload, _with_label(record.label, str(exc))))
    with transaction.atomic():
        _dead_letter_new([payload for payload, _ in bad], [reason for _, reason in bad])
        for outcome in upsert_orders(account, good, actor=actor):
            summary.add(outcome)
    for _, reason in bad:
        summary.add(PayloadOutcome.DEAD_LETTERED)
        if len(summary.problems) < 20:
            summary.problems.append(reason)


def _dead_letter_new(payloads: list[InboundPayload], reasons: list[str]) -> None:
    """Insert unsaved payloads as dead letters, in two statements however many there are."""
    now = timezone.now()
    for payload in payloads:
        payload.outcome = PayloadOutcome.DEAD_LETTERED
    bulk_insert(payloads)
    DeadLetter.objects.bulk_create(
        DeadLetter(
            payload=payload,
            account_id=payload.account_id,
            reason=reason,
            created_at=now,
            last_attempt_at=now,
        )
        for payload, reason in zip(payloads, reasons, strict=True)
    )


# ----------------------------------------------------------------------------------------------
# Orders posted in the normalised shape (API, staff entry)


def submit_order(
    account: ChannelAccount,
    order: NormalizedOrder,
    *,
    actor: Actor,
    source: str = PayloadSource.API,
) -> InboundPayload:
    """Store and upsert an order already in the normalised shape; returns the stored payload.

    The caller has validated ``order``: invalid input is answered with an error and not stored,
    since the sender is waiting for the answer and still has the data.
    """
    body = order.model_dump_json().encode()
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                payload = InboundPayload.objects.create(
                    account=account,
                    source=source,
                    received_at=timezone.now(),
                    body=body,
                    sha256=hashlib.sha256(body).hexdigest(),
                )
                upsert_orders(account, [Incoming(payload, order)], actor=actor)
            return payload
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# ----------------------------------------------------------------------------------------------
# Replay


def replay_dead_letter(letter_id: int, *, actor: Actor) -> str:
    """Run a dead-lettered payload through intake again; returns its new outcome.

    Resolves the dead letter when every order in it now normalises; otherwise records the new
    reason and counts the attempt.
    """
    with transaction.atomic():
        letter = (
            DeadLetter.objects.select_for_update()
            .select_related("payload__account")
            .get(pk=letter_id)
        )
        payload = letter.payload
        account = payload.account
        adapter = get_adapter(account.platform)
        if payload.source == PayloadSource.FILE and not payload.record_label:
            # A file that could not be split: import it again, record by record.
            problem = _import_records(
                adapter,
                account,
                bytes(payload.body),
                filename=payload.filename,
                actor=actor,
                summary=ImportSummary(),
            )
            if problem is not None:
                _dead_letter(payload, problem)
            else:
                payload.outcome = PayloadOutcome.IGNORED  # its orders live in their own records
                payload.save(update_fields=["outcome"])
                _resolve_dead_letter(payload)
        else:
            orders, problems = _normalize_payload(
                adapter, account, bytes(payload.body), payload.filename
            )
            _write_payload(account, payload, orders, problems, actor=actor)
            if not problems:
                _resolve_dead_letter(payload)
        payload.refresh_from_db(fields=["outcome"])
        return payload.outcome


def open_dead_letter_ids() -> list[int]:
    return list(
        DeadLetter.objects.filter(resolved_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
