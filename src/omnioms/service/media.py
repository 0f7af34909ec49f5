"""Fetching the files of WeChat and WeCom messages (images, voice, video, files).

A push carries only a ``MediaId``: the file is the platform's temporary media, kept for three
days and fetched with the source's access token (``GET /cgi-bin/media/get``). The message is
stored first, with a ``MediaFetch`` row in the same transaction; the worker step
``service.fetch_media`` fetches due rows outside any lock, stores the file as the message's
``Attachment``, and retries what failed for a passing reason (the network, the platform's
5xx, an expired access token) with backoff. An expired or unknown media id (``40007``) will
not come back: the row fails at once, and the ticket shows why. Nothing a customer sent is
lost by a failed download: the message is there either way.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from omnioms.service.due import claim_due
from omnioms.service.models import Attachment, MediaFetch, MediaState, SourceKind

logger = logging.getLogger(__name__)

BATCH = 20
MAX_ATTEMPTS = 6
GONE = {40007}
"""``invalid media_id``: expired (after three days) or never there; retrying cannot help."""
DEFAULT_LIMIT = 25 * 1024 * 1024
"""WeChat's temporary media are at most 20 MB (files); a larger answer is refused."""


def limit() -> int:
    return int(getattr(settings, "OMNIOMS_SERVICE_ATTACHMENT_LIMIT", DEFAULT_LIMIT))


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... at most 30 min: the media expire in three days."""
    return timedelta(seconds=min(1800, 30 * 2 ** max(0, attempts - 1)))


def fetch_due(*, now: datetime | None = None) -> int:
    """The worker step: fetch up to ``BATCH`` files whose time has come."""
    now = now or timezone.now()
    ids = claim_due(MediaFetch.objects.filter(state=MediaState.PENDING), now, BATCH)
    for pk in ids:
        fetch_one(pk)
    return len(ids)


def _client(kind: str, source_settings: dict[str, Any]) -> Any:
    if kind == SourceKind.WECOM_KF:
        from omnioms.service.sources import wecom

        return wecom.Client(source_settings)
    from omnioms.service.sources import wechat

    return wechat.Client(source_settings)


def fetch_one(pk: int) -> str:
    """Fetch one file (the HTTP call outside any transaction), then record the outcome."""
    from omnioms.service.sources.wechat import ApiError

    fetch = MediaFetch.objects.select_related("message__conversation__source").get(pk=pk)
    if fetch.state != MediaState.PENDING:
        return str(fetch.state)
    source = fetch.message.conversation.source
    try:
        if source.kind not in (SourceKind.WECHAT_OA, SourceKind.WECOM_KF):
            raise ApiError(f"media cannot be fetched from a {source.kind} source")
        name, content_type, data = _client(source.kind, source.settings).get_media(
            fetch.media_id, limit=limit()
        )
    except ApiError as exc:
        return _failed(pk, str(exc), gone=exc.code in GONE)
    with transaction.atomic():
        fetch = MediaFetch.objects.select_for_update().get(pk=pk)
        if fetch.state != MediaState.PENDING:  # another worker was quicker
            return str(fetch.state)
        fetch.attachment = Attachment.objects.create(
            message_id=fetch.message_id,
            filename=(name or fetch.filename or fetch.media_id)[:255],
            content_type=content_type[:100],
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
        )
        fetch.attempts += 1
        fetch.state = MediaState.FETCHED
        fetch.error = ""
        fetch.next_attempt_at = None
        fetch.save()
    return MediaState.FETCHED


def _failed(pk: int, error: str, *, gone: bool) -> str:
    with transaction.atomic():
        fetch = MediaFetch.objects.select_for_update().get(pk=pk)
        if fetch.state != MediaState.PENDING:
            return str(fetch.state)
        fetch.attempts += 1
        fetch.error = error[:2000]
        if gone or fetch.attempts >= MAX_ATTEMPTS:
            fetch.state = MediaState.FAILED
            fetch.next_attempt_at = None
        else:
            fetch.next_attempt_at = timezone.now() + backoff(fetch.attempts)
        fetch.save()
    logger.warning("media %s of message %s not fetched: %s", pk, fetch.message_id, error)
    return str(fetch.state)


def retry(pk: int) -> None:
    """Try a failed file again now (an agent's button: the platform may have been down)."""
    MediaFetch.objects.filter(pk=pk, state=MediaState.FAILED).update(
        state=MediaState.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
