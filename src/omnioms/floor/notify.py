"""Telling people: in the app, by e-mail, and in their team chat's group robot.

In-app notifications are rows written in the caller's transaction, and they are the e-mail
outbox too (each carries the person's address; the worker step :func:`send_mail_due` sends
it); team chat messages are an outbox (one :class:`ChatMessage` per robot) that the worker
step :func:`send_chat_due` posts after the commit, in the robots' documented formats:

- WeCom (企业微信) group robot: ``POST`` the robot's address (``.../webhook/send?key=...``)
  with ``{"msgtype": "text", "text": {"content": ..., "mentioned_list": [...]}}``.
- DingTalk (钉钉) custom robot: ``POST`` its address (``.../robot/send?access_token=...``)
  with ``{"msgtype": "text", "text": {"content": ...}, "at": {"isAtAll": false}}``; a robot
  with a signing secret also gets ``timestamp`` and ``sign`` (HMAC-SHA256 over
  ``"{timestamp}\\n{secret}"``, Base64, URL-encoded) in the query string.

Both answer ``{"errcode": 0, "errmsg": "ok"}``; anything else is retried, up to
:data:`MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import quote_plus

import httpx
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db.models import F
from django.utils import timezone

from omnioms.floor.models import ChatKind, ChatMessage, ChatWebhook, FloorException, Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
TIMEOUT_SECONDS = 5.0


def recipients(role: str = "", user_id: int | None = None) -> list[User]:
    users = User.objects.filter(is_active=True)
    if user_id is not None:
        return list(users.filter(pk=user_id))
    if role:
        return list(users.filter(groups__name=role).distinct())
    return []


def notify(
    exc: FloorException | None, text: str, *, role: str = "", user_id: int | None = None
) -> int:
    """Tell the person (or everyone holding the role) in the app and by e-mail, and post to
    every active team chat robot. Returns the number of people told."""
    return notify_many([(exc, text, role, user_id)])


def notify_many(messages: list[tuple[FloorException | None, str, str, int | None]]) -> int:
    """:func:`notify` for many ``(exception, text, role, user id)`` at once: the people of each
    role are looked up once, and the in-app rows (each carrying its e-mail address, sent by the
    worker step :func:`send_mail_due`) and the robots' messages are written in a few inserts
    in the caller's transaction. Returns the number of notifications written."""
    if not messages:
        return 0
    people: dict[tuple[str, int | None], list[User]] = {}
    hooks = list(ChatWebhook.objects.filter(is_active=True))
    notes: list[Notification] = []
    chats: list[ChatMessage] = []
    for exc, text, role, user_id in messages:
        key = (role, user_id)
        if key not in people:
            people[key] = recipients(role, user_id)
        told = people[key]
        notes.extend(
            Notification(user=person, exception=exc, text=text[:500], email=person.email or "")
            for person in told
        )
        mentioned = [p.get_username() for p in told]
        body = text if not mentioned else f"{text}\n@{' @'.join(mentioned)}"
        chats.extend(ChatMessage(webhook=hook, text=body) for hook in hooks)
    Notification.objects.bulk_create(notes, batch_size=1000)
    ChatMessage.objects.bulk_create(chats, batch_size=1000)
    return len(notes)


def send_mail_due(limit: int = 100) -> int:
    """Worker step: e-mail the notifications that carry an address and were not sent yet
    (oldest first); a failure is tried again, :data:`MAX_ATTEMPTS` times at most."""
    rows = list(
        Notification.objects.filter(emailed_at__isnull=True, email_attempts__lt=MAX_ATTEMPTS)
        .exclude(email="")
        .order_by("pk")[:limit]
    )
    for row in rows:
        try:
            send_mail(
                subject=row.text[:120],
                message=row.text,
                from_email=None,
                recipient_list=[row.email],
                fail_silently=False,
            )
        except Exception as exc:  # SMTP and socket errors alike: count it, try later
            logger.warning("e-mail to %s: %s", row.email, exc)
            Notification.objects.filter(pk=row.pk).update(email_attempts=F("email_attempts") + 1)
            continue
        Notification.objects.filter(pk=row.pk).update(
            email_attempts=F("email_attempts") + 1, emailed_at=timezone.now()
        )
    return len(rows)


def signed_url(url: str, secret: str, *, now_ms: int | None = None) -> str:
    """A DingTalk robot's address with its signature (``加签``)."""
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = quote_plus(base64.b64encode(digest).decode())
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}timestamp={timestamp}&sign={sign}"


def payload(kind: str, text: str) -> dict[str, Any]:
    if kind == ChatKind.WECOM:
        return {"msgtype": "text", "text": {"content": text}}
    return {"msgtype": "text", "text": {"content": text}, "at": {"isAtAll": False}}


def post(hook: ChatWebhook, text: str, *, client: httpx.Client) -> str:
    """Post one message; '' when the robot accepted it, else what went wrong."""
    url = (
        signed_url(hook.url, hook.secret)
        if hook.kind == ChatKind.DINGTALK and hook.secret
        else (hook.url)
    )
    try:
        answer = client.post(url, json=payload(hook.kind, text), timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if answer.status_code != 200:
        return f"HTTP {answer.status_code}"
    try:
        body = answer.json()
    except ValueError:
        return "the answer is not JSON"
    if body.get("errcode") != 0:
        return f"errcode {body.get('errcode')}: {body.get('errmsg', '')}"[:500]
    return ""


def send_chat_due(limit: int = 50) -> int:
    """Worker step: post the messages not sent yet (oldest first), each once it is its turn."""
    rows = list(
        ChatMessage.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .select_related("webhook")
        .order_by("pk")[:limit]
    )
    if not rows:
        return 0
    with httpx.Client() as client:
        for row in rows:
            error = post(row.webhook, row.text, client=client)
            ChatMessage.objects.filter(pk=row.pk).update(
                attempts=F("attempts") + 1,
                sent_at=None if error else timezone.now(),
                error=error,
            )
            if error:
                logger.warning("team chat %s: %s", row.webhook.name, error)
    return len(rows)
