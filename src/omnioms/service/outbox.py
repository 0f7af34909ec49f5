"""Replies out: the worker step ``service.send`` sends queued messages through their
conversation's source (SMTP for e-mail, the platform API for WeChat and WeCom), retrying with
backoff. A reply is queued in the agent's transaction, so it is sent only once committed and
never lost if the worker stops."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.utils import timezone

from omnioms.service.due import claim_due
from omnioms.service.models import Delivery, Message, SourceKind

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BATCH = 20


class SendError(Exception):
    """The platform or mail server refused or could not be reached; retried later."""


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(3600, 15 * 2 ** max(0, attempts - 1)))


def send_due(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    ids = claim_due(Message.objects.filter(delivery=Delivery.QUEUED), now, BATCH)
    for pk in ids:
        send_message(pk)
    return len(ids)


def send_message(pk: int) -> str:
    message = Message.objects.select_related("conversation__source", "conversation__ticket").get(
        pk=pk
    )
    if message.delivery != Delivery.QUEUED:
        return str(message.delivery)
    source = message.conversation.source
    try:
        external_id = _send(message)
    except SendError as exc:
        message.attempts += 1
        message.error = str(exc)[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.delivery = Delivery.FAILED
            message.next_attempt_at = None
        else:
            message.next_attempt_at = timezone.now() + backoff(message.attempts)
        message.save(update_fields=["attempts", "error", "delivery", "next_attempt_at"])
        logger.warning("reply %s on %s not sent: %s", pk, source.name, exc)
        return str(message.delivery)
    message.attempts += 1
    message.delivery = Delivery.SENT
    message.error = ""
    message.next_attempt_at = None
    if external_id:
        message.external_id = external_id[:300]
    message.save(update_fields=["attempts", "delivery", "error", "next_attempt_at", "external_id"])
    return Delivery.SENT


def _send(message: Message) -> str:
    conversation = message.conversation
    source = conversation.source
    if source.kind == SourceKind.EMAIL:
        from omnioms.service.sources import mail

        try:
            return mail.send_reply(
                source.settings,
                to=conversation.contact,
                subject=message.subject or conversation.subject,
                text=message.body,
                in_reply_to=message.in_reply_to,
                references=message.references.split(),
                ticket_number=conversation.ticket.number,
            )
        except mail.MailboxError as exc:
            raise SendError(str(exc)) from exc
    if source.kind == SourceKind.WECHAT_OA:
        from omnioms.service.sources import wechat

        try:
            return wechat.Client(source.settings).send_text(conversation.contact, message.body)
        except wechat.ApiError as exc:
            raise SendError(str(exc)) from exc
    if source.kind == SourceKind.WECOM_KF:
        from omnioms.service.sources import wecom

        try:
            return wecom.Client(source.settings).send_text(conversation.contact, message.body)
        except wecom.ApiError as exc:
            raise SendError(str(exc)) from exc
    raise SendError(f"replies cannot be sent on a {source.kind} source")
