"""Use cases on channels: accounts, file imports, orders posted whole, and replays.

Each owns its transaction. Webhooks are in ``webhooks.py``; the normalising core they all
share is in ``intake.py``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import Adapter, NormalizationError, Record, split_records
from omnioms.channels.clients.registry import is_connected
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import (
    DISMISSAL_REASON_LIMIT,
    ChannelAccount,
    DeadLetter,
    DeadLetterState,
    InboundPayload,
    PayloadOutcome,
    PayloadSource,
)
from omnioms.channels.normalizing import Normalized, account_context, normalized_batches, with_label
from omnioms.core.actor import Actor
from omnioms.core.models import Location
from omnioms.inventory.availability import queue_account_availability
from omnioms.orders.services import Incoming, upsert_orders
from omnioms.sync.intake import (
    UNSTORABLE,
    OutcomeCounts,
    dead_letter,
    dead_letter_new,
    process_payloads,
    record_payloads,
    resolve_dead_letter,
    store_normalized,
    unstorable_reason,
)

IMPORT_BATCH = 500
"""Records per transaction in a file import: large enough to amortise commits, small enough
that a crash loses little work and that SQLite's writer lock is released often."""


def create_account(
    *,
    name: str,
    platform: str,
    display_name: str = "",
    secret: str = "",
    time_zone: str = "Asia/Shanghai",
    currency: str = "CNY",
    location_code: str | None = None,
    api_credentials: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
) -> ChannelAccount:
    """A channel account; raises ``ValueError`` naming the first bad field.

    An account created with API credentials is connected at once: every figure it may sell
    is queued for its platform when the transaction commits.
    """
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
        api_credentials=api_credentials or {},
        options=options or {},
    )
    try:
        account.full_clean()
    except DjangoValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise ValueError(f"{field}: {' '.join(messages)}") from None
    account.save()
    if is_connected(account.platform, account.api_credentials):
        transaction.on_commit(lambda: queue_account_availability(account.pk))
    return account


# ----------------------------------------------------------------------------------------------
# Files


@dataclass
class ImportSummary(OutcomeCounts):
    problems: list[str] = field(default_factory=list)
    """The first few dead-letter reasons, for the person running the import."""


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
            dead_letter_new(
                record_payloads(
                    account, [Record(raw=raw)], source=PayloadSource.FILE, filename=filename
                ),
                [problem],
            )
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
    context = account_context(account)
    records = split_records(adapter, raw, filename, context)
    try:
        for batch, results in normalized_batches(adapter, context, records, IMPORT_BATCH):
            _import_batch(account, batch, results, filename=filename, actor=actor, summary=summary)
    except NormalizationError as exc:
        return with_label(filename, str(exc)) if filename not in str(exc) else str(exc)
    return None


def _import_batch(
    account: ChannelAccount,
    records: list[Record],
    results: list[Normalized],
    *,
    filename: str,
    actor: Actor,
    summary: ImportSummary,
) -> None:
    payloads = record_payloads(account, records, source=PayloadSource.FILE, filename=filename)
    with transaction.atomic():
        _, outcomes, problems = store_normalized(account, payloads, results, actor=actor)
    for outcome in outcomes:
        summary.add(outcome)
    for problem in problems:
        summary.add(PayloadOutcome.DEAD_LETTERED)
        if len(summary.problems) < 20:
            summary.problems.append(problem)


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
    reason and counts the attempt. A dismissed letter can be replayed too (someone changed
    their mind): the dismissal is taken back, and the letter is what the replay makes of it.
    """
    with transaction.atomic():
        letter = (
            DeadLetter.objects.select_for_update()
            .select_related("payload__account")
            .get(pk=letter_id)
        )
        if letter.dismissed_at is not None:
            letter.resolved_at = letter.dismissed_at = None
            letter.dismissed_by = letter.dismissal_reason = ""
            letter.save(
                update_fields=["resolved_at", "dismissed_at", "dismissed_by", "dismissal_reason"]
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
                dead_letter(payload, problem)
            else:
                payload.outcome = PayloadOutcome.IGNORED  # its orders live in their own records
                payload.save(update_fields=["outcome"])
                resolve_dead_letter(payload)
        else:
            try:
                with transaction.atomic():
                    process_payloads([payload], replaying=True, actor=actor)
            except UNSTORABLE as exc:  # it reads now, but the database still refuses it
                dead_letter(payload, unstorable_reason(exc))
        payload.refresh_from_db(fields=["outcome"])
        return payload.outcome


class DeadLetterClosed(Exception):
    """The dead letter is not open (resolved by a replay, or dismissed already)."""

    def __init__(self, state: DeadLetterState) -> None:
        super().__init__(f"dead letter is {state}, not open")
        self.state = state


def dismiss_dead_letter(letter_id: int, *, reason: str, actor: Actor) -> DeadLetter:
    """Close an open dead letter without replaying it, recording who, when and why.

    Raises ``ValueError`` naming ``reason`` when it is empty or longer than
    :data:`DISMISSAL_REASON_LIMIT`, ``DeadLetterClosed`` when the letter is not open, and
    ``DeadLetter.DoesNotExist``. Replaying the letter later takes the dismissal back.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("reason: say why the dead letter is dismissed")
    if len(reason) > DISMISSAL_REASON_LIMIT:
        raise ValueError(f"reason: at most {DISMISSAL_REASON_LIMIT} characters")
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().get(pk=letter_id)
        if letter.resolved_at is not None:
            raise DeadLetterClosed(letter.state)
        letter.resolved_at = letter.dismissed_at = timezone.now()
        letter.dismissed_by = actor.label
        letter.dismissal_reason = reason
        letter.save(
            update_fields=["resolved_at", "dismissed_at", "dismissed_by", "dismissal_reason"]
        )
    return letter


def open_dead_letter_ids() -> list[int]:
    """Open dead letters, for ``omnioms replay --all``: not the resolved nor the dismissed."""
    return list(
        DeadLetter.objects.filter(resolved_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
