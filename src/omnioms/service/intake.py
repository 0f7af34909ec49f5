"""The durable intake of customer messages and after-sales requests.

The same promise as the order intake (``sync/webhooks.py``): the raw bytes are stored first,
deduplicated on the source's event id by a unique index, and committed before anything reads
them; the worker step ``service.intake`` then parses them with the source's adapter and opens
or continues tickets. What cannot be read becomes a ``ServiceDeadLetter`` with the adapter's
reason, and can be replayed after a fix. Nothing a customer sent is dropped.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from omnioms.channels.adapters.base import NormalizationError
from omnioms.channels.models import bounded_reason
from omnioms.core.inputs import NUL
from omnioms.service import batch, search, services
from omnioms.service.models import (
    InboundItem,
    ItemOutcome,
    ServiceDeadLetter,
    Source,
    SourceKind,
)
from omnioms.service.sources.base import AfterSaleRequest, ServiceMessage

logger = logging.getLogger(__name__)

BATCH = 100
KEY_LENGTH = 300
WECOM_MESSAGE = "application/x-wecom-kf-message+json"
"""Content type of one message fetched with WeCom's ``sync_msg`` (stored as its own item)."""

AFTERSALES_MODULES = {
    "taobao": "omnioms.service.sources.aftersales.taobao",
    "jd": "omnioms.service.sources.aftersales.jd",
    "douyin": "omnioms.service.sources.aftersales.douyin",
    "pinduoduo": "omnioms.service.sources.aftersales.pinduoduo",
    "shopify": "omnioms.service.sources.aftersales.shopify",
    "woocommerce": "omnioms.service.sources.aftersales.woocommerce",
}


def aftersales_module(platform: str) -> Any:
    try:
        return import_module(AFTERSALES_MODULES[platform])
    except KeyError:
        raise NormalizationError(f"no after-sales adapter for platform {platform!r}") from None


def dedupe_key(event_id: str | None) -> str | None:
    if not event_id:
        return None
    if len(event_id) <= KEY_LENGTH and NUL not in event_id:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode()).hexdigest()


def accept_item(
    source: Source,
    *,
    body: bytes,
    headers: Mapping[str, str] | None = None,
    event_id: str | None = None,
    content_type: str = "",
) -> InboundItem:
    """Store one delivery durably; a repeat of a stored event id is kept as ``duplicate``.
    Owns its transaction (a savepoint inside a caller's)."""
    item = InboundItem(
        source=source,
        received_at=timezone.now(),
        content_type=content_type[:100],
        headers=dict(headers or {}),
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        event_id=(event_id or "").replace(NUL, "\ufffd")[:KEY_LENGTH],
        dedupe_key=dedupe_key(event_id),
    )
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        item.pk = None
        item.dedupe_key = None
        item.outcome = ItemOutcome.DUPLICATE
        item.save()
    return item


def process_received(*, limit: int = BATCH) -> int:
    """The worker step: parse up to ``limit`` received items, oldest first, in one
    transaction (one commit for the batch, as the order intake does), each in a savepoint so
    that a bad one becomes a dead letter without holding up the rest. Several workers may run
    at once on PostgreSQL (``SKIP LOCKED``)."""
    with transaction.atomic(), batch.batch() as current:
        items = list(
            InboundItem.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("source__account")
            .filter(outcome=ItemOutcome.RECEIVED)
            .order_by("pk")[:limit]
        )
        for item in items:
            _process_one(item)
        # The batch's tickets are searchable from the same commit that stores them.
        search.flush(current)
    return len(items)


def process_item(pk: int) -> str:
    """Parse one item (a received one, or a dead letter replayed) and open or continue its
    ticket; returns the outcome. Owns its transaction."""
    with transaction.atomic():
        item = (
            InboundItem.objects.select_for_update(of=("self",))
            .select_related("source__account")
            .get(pk=pk)
        )
        if item.outcome not in (ItemOutcome.RECEIVED, ItemOutcome.DEAD_LETTERED):
            return str(item.outcome)
        return _process_one(item)


UNREADABLE = (NormalizationError, ValueError, KeyError, TypeError, RecursionError)


def _process_one(item: InboundItem) -> str:
    """Process a locked item in a savepoint; what cannot be read becomes a dead letter."""
    replayed = item.outcome == ItemOutcome.DEAD_LETTERED
    try:
        with transaction.atomic():
            _process(item)
            if replayed:
                ServiceDeadLetter.objects.filter(item=item, resolved_at__isnull=True).update(
                    resolved_at=timezone.now()
                )
            return str(item.outcome)
    except UNREADABLE as exc:
        reason = (
            str(exc)
            if isinstance(exc, NormalizationError | ValueError)
            else f"could not be read ({type(exc).__name__}: {exc})"
        )
        letter, created = ServiceDeadLetter.objects.get_or_create(
            item=item, defaults={"reason": bounded_reason(reason)}
        )
        if not created:
            letter.reason = bounded_reason(reason)
            letter.attempts += 1
            letter.resolved_at = None
            letter.save()
        item.outcome = ItemOutcome.DEAD_LETTERED
        item.ticket = None
        item.save(update_fields=["outcome", "ticket"])
        logger.info("service item %s dead-lettered: %s", item.pk, reason)
        return ItemOutcome.DEAD_LETTERED


def _process(item: InboundItem) -> None:
    source = item.source
    body = bytes(item.body)
    results: list[tuple[Any, bool]] = []
    if source.kind == SourceKind.EMAIL:
        from omnioms.service.sources import mail

        results.append(_message(source, mail.parse(body)))
    elif source.kind == SourceKind.WECHAT_OA:
        from omnioms.service.sources import wechat

        message = wechat.parse(body, item.headers, source.settings)
        if message is None:
            item.outcome = ItemOutcome.IGNORED
        else:
            results.append(_message(source, message))
    elif source.kind == SourceKind.WECOM_KF:
        from omnioms.service.sources import wecom

        if item.content_type == WECOM_MESSAGE:
            message = wecom.parse_message(body)
            if message is None:
                item.outcome = ItemOutcome.IGNORED
            else:
                results.append(_message(source, message))
        else:
            push = wecom.parse_push(body, item.headers, source.settings)
            fetch_wecom(source, token=push.get("Token", ""))
            item.outcome = ItemOutcome.IGNORED
    elif source.kind == SourceKind.AFTERSALES:
        if source.account is None:
            raise NormalizationError("the after-sales source names no channel account")
        module = aftersales_module(source.account.platform)
        requests: list[AfterSaleRequest] = module.parse(body, item.headers)
        if not requests:
            item.outcome = ItemOutcome.IGNORED
        for request in requests:
            results.append(services.receive_aftersale(source, request))
    else:
        item.outcome = ItemOutcome.IGNORED
    if results:
        item.ticket = results[-1][0]
        item.outcome = ItemOutcome.OPENED if any(o for _t, o in results) else ItemOutcome.ADDED
    item.save(update_fields=["outcome", "ticket"])


def _message(source: Source, message: ServiceMessage) -> tuple[Any, bool]:
    return services.receive_message(source, message)


def receive(source: Source, **kwargs: Any) -> InboundItem:
    """Accept and process at once (tests, scripts): the same two steps as push + worker."""
    item = accept_item(source, **kwargs)
    if item.outcome == ItemOutcome.RECEIVED:
        process_item(item.pk)
        item.refresh_from_db()
    return item


def replay_dead_letter(letter_id: int) -> str:
    letter = ServiceDeadLetter.objects.get(pk=letter_id)
    return process_item(letter.item_id)


# ----------------------------------------------------------------------------------------------
# Polling: mailboxes over IMAP, WeCom's message queue


POLL_EVERY = timedelta(seconds=60)


def poll_due(*, now: datetime | None = None) -> int:
    """The worker step: poll each active mailbox whose last poll is older than its interval."""
    now = now or timezone.now()
    fetched = 0
    for source in Source.objects.filter(kind=SourceKind.EMAIL, is_active=True):
        every = timedelta(seconds=int(source.settings.get("poll_seconds", 60)))
        if source.last_polled_at is not None and source.last_polled_at + every > now:
            continue
        fetched += poll_mailbox(source)
    return fetched


def poll_mailbox(source: Source) -> int:
    """Fetch new messages of a mailbox (UIDs above the cursor), store each as an item, move
    the cursor after they are committed. Errors are kept on the source for the health view."""
    from omnioms.service.sources import mail

    cursor = dict(source.poll_cursor or {})
    try:
        fetched = mail.fetch_new(source.settings, cursor)
    except mail.MailboxError as exc:
        Source.objects.filter(pk=source.pk).update(
            last_error=str(exc)[:2000], last_polled_at=timezone.now()
        )
        return 0
    for uid, raw in fetched:
        accept_item(
            source,
            body=raw,
            event_id=mail.event_id(raw, uid, cursor.get("uidvalidity")),
            content_type="message/rfc822",
        )
        cursor["last_uid"] = max(int(cursor.get("last_uid", 0)), uid)
    Source.objects.filter(pk=source.pk).update(
        poll_cursor=cursor, last_polled_at=timezone.now(), last_error=""
    )
    source.poll_cursor = cursor
    return len(fetched)


def fetch_wecom(source: Source, *, token: str = "") -> int:
    """Fetch WeCom's waiting messages with ``sync_msg`` and store each as an item."""
    from omnioms.service.sources import wecom

    cursor = dict(source.poll_cursor or {})
    messages, next_cursor = wecom.Client(source.settings).sync_messages(
        cursor.get("cursor", ""), token
    )
    for raw, msgid in messages:
        accept_item(source, body=raw, event_id=msgid, content_type=WECOM_MESSAGE)
    cursor["cursor"] = next_cursor
    Source.objects.filter(pk=source.pk).update(poll_cursor=cursor, last_polled_at=timezone.now())
    return len(messages)
