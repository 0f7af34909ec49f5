"""E-mail: a support mailbox polled over IMAP, replies sent over SMTP.

Settings (``Source.settings``): ``imap_host``, ``imap_port`` (993), ``imap_ssl`` (true),
``imap_user``, ``imap_password``, ``mailbox`` (``INBOX``), ``smtp_host``, ``smtp_port`` (587),
``smtp_starttls`` (true), ``smtp_ssl`` (false), ``smtp_user``, ``smtp_password``, ``address``
(the From of replies), ``poll_seconds`` (60).

Threads: a message continues the conversation whose key is the first id of its
``References`` (the thread's root), else its ``In-Reply-To``, else it starts one keyed by its
own ``Message-ID``. Replies carry ``In-Reply-To`` and ``References`` so that the customer's
mail program threads them too, and the ticket number in the subject.

Polling is by UID above a cursor kept on the source (with the mailbox's ``UIDVALIDITY``: a
new value means the server renumbered, and the mailbox is read again; the items' unique
event id, the ``Message-ID``, keeps that from opening tickets twice). Messages are fetched
with ``BODY.PEEK[]`` and never deleted or flagged: the mailbox stays as the people who also
read it left it.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import hashlib
import imaplib
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import getaddresses, make_msgid, parsedate_to_datetime
from typing import Any

from omnioms.channels.adapters.base import NormalizationError
from omnioms.service.sources.base import Attached, ServiceMessage

MAX_ATTACHMENTS = 20
MAX_ATTACHMENT_BYTES = 15 * 1024 * 1024
_IDS = re.compile(r"<[^<>\s]+>")
_QUOTE_MARKERS = re.compile(
    r"^(On .+ wrote:|.*在.*写道[:：]|-----Original Message-----|发件人[:：]|From: )", re.M
)


class MailboxError(Exception):
    """The mail server could not be reached or refused us; the message says which and why."""


def _ids(value: str | None) -> list[str]:
    return _IDS.findall(value or "")


def event_id(raw: bytes, uid: int, uidvalidity: Any) -> str:
    """The dedupe key of a fetched message: its Message-ID, else a hash of its bytes."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = email.message_from_bytes(head + b"\r\n\r\n", policy=email.policy.default)
    found = _ids(str(parsed.get("Message-ID", "")))
    return found[0] if found else "sha256:" + hashlib.sha256(raw).hexdigest()


def parse(raw: bytes) -> ServiceMessage:
    """One RFC 5322 message as a customer's message: sender, subject, the text part (or the
    HTML part made text), attachments, thread keys."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
    except Exception as exc:  # the email package raises many kinds on broken input
        raise NormalizationError(f"not a readable e-mail ({exc})") from exc
    try:
        senders = getaddresses([str(message.get("Reply-To") or message.get("From") or "")])
    except Exception as exc:
        raise NormalizationError(f"unreadable address ({exc})", field="From") from exc
    name, address = senders[0] if senders else ("", "")
    if not address or "@" not in address:
        raise NormalizationError("no sender address", field="From")
    message_id = (_ids(str(message.get("Message-ID", ""))) or [""])[0]
    references = tuple(_ids(str(message.get("References", ""))))
    in_reply_to = (_ids(str(message.get("In-Reply-To", ""))) or [""])[0]
    thread = (references[0] if references else "") or in_reply_to or message_id
    if not thread:
        thread = "sha256:" + hashlib.sha256(raw).hexdigest()
    try:
        at = parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        at = None
    if at is None or at.tzinfo is None:
        at = datetime.now(UTC) if at is None else at.replace(tzinfo=UTC)
    text, attachments = _content(message)
    return ServiceMessage(
        event_id=message_id or thread,
        thread_key=thread,
        contact=address.strip().lower(),
        contact_name=name.strip(),
        at=at.astimezone(UTC),
        text=text,
        subject=str(message.get("Subject", "") or "").strip(),
        external_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        attachments=tuple(attachments),
    )


def _content(message: EmailMessage) -> tuple[str, list[Attached]]:
    attachments: list[Attached] = []
    for part in message.iter_attachments() if message.is_multipart() else []:
        if len(attachments) >= MAX_ATTACHMENTS:
            break
        try:
            data = part.get_content()
        except (LookupError, ValueError, AssertionError):
            data = part.get_payload(decode=True) or b""
        if isinstance(data, str):
            data = data.encode()
        elif isinstance(data, EmailMessage):
            data = data.as_bytes()
        if len(data) > MAX_ATTACHMENT_BYTES:
            continue
        attachments.append(
            Attached(part.get_filename() or "attachment", part.get_content_type(), bytes(data))
        )
    body = message.get_body(preferencelist=("plain", "html"))
    text = ""
    if body is not None:
        try:
            text = body.get_content()
        except (LookupError, ValueError):
            payload = body.get_payload(decode=True) or b""
            text = (
                payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)
            )
        if body.get_content_type() == "text/html":
            text = _html_text(text)
    return text.replace("\x00", "").strip(), attachments


def _html_text(html: str) -> str:
    from html import unescape

    text = re.sub(r"(?is)<(script|style).*?</\1>", "", html)
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", text)
    return unescape(re.sub(r"<[^>]+>", "", text))


def new_text(text: str) -> str:
    """The part of a reply above the quoted earlier mail (for the conversation view)."""
    found = _QUOTE_MARKERS.search(text)
    return text[: found.start()].strip() if found and found.start() > 0 else text


# ----------------------------------------------------------------------------------------------
# IMAP


def _imap(settings: Mapping[str, Any]) -> imaplib.IMAP4:
    host = str(settings.get("imap_host") or "")
    if not host:
        raise MailboxError("imap_host is not set")
    use_ssl = bool(settings.get("imap_ssl", True))
    port = int(settings.get("imap_port") or (993 if use_ssl else 143))
    try:
        if use_ssl:
            return imaplib.IMAP4_SSL(
                host, port, ssl_context=ssl.create_default_context(), timeout=30
            )
        return imaplib.IMAP4(host, port, timeout=30)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise MailboxError(f"IMAP {host}:{port}: {exc}") from exc


def fetch_new(settings: Mapping[str, Any], cursor: dict[str, Any]) -> list[tuple[int, bytes]]:
    """Messages of the mailbox with a UID above ``cursor['last_uid']``, oldest first.
    Updates ``cursor['uidvalidity']`` (and resets ``last_uid`` when it changed)."""
    connection = _imap(settings)
    try:
        try:
            connection.login(
                str(settings.get("imap_user", "")), str(settings.get("imap_password", ""))
            )
            status, _data = connection.select(
                str(settings.get("mailbox") or "INBOX"), readonly=True
            )
            if status != "OK":
                raise MailboxError(
                    f"mailbox {settings.get('mailbox') or 'INBOX'!r} cannot be opened"
                )
            validity = (connection.untagged_responses.get("UIDVALIDITY") or [b"0"])[0]
            validity_text = validity.decode() if isinstance(validity, bytes) else str(validity)
            if cursor.get("uidvalidity") != validity_text:
                cursor["uidvalidity"] = validity_text
                cursor["last_uid"] = 0
            last = int(cursor.get("last_uid", 0))
            status, data = connection.uid("SEARCH", f"UID {last + 1}:*")
            uids = sorted(int(u) for u in (data[0] or b"").split() if int(u) > last)
            fetched: list[tuple[int, bytes]] = []
            for uid in uids[:200]:
                status, parts = connection.uid("FETCH", str(uid), "(BODY.PEEK[])")
                raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
                if status == "OK" and raw is not None:
                    fetched.append((uid, bytes(raw)))
            return fetched
        except (imaplib.IMAP4.error, OSError) as exc:
            raise MailboxError(f"IMAP: {exc}") from exc
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            connection.logout()


# ----------------------------------------------------------------------------------------------
# SMTP


def build_reply(
    settings: Mapping[str, Any],
    *,
    to: str,
    subject: str,
    text: str,
    in_reply_to: str = "",
    references: Sequence[str] = (),
    ticket_number: str = "",
) -> EmailMessage:
    address = str(settings.get("address") or settings.get("smtp_user") or "")
    if not address:
        raise MailboxError("address (the From of replies) is not set")
    message = EmailMessage()
    message["From"] = address
    message["To"] = to
    if ticket_number and f"[{ticket_number}]" not in subject:
        subject = f"{subject} [{ticket_number}]".strip()
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1])
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    refs = [r for r in references if r]
    if in_reply_to and in_reply_to not in refs:
        refs.append(in_reply_to)
    if refs:
        message["References"] = " ".join(refs)
    message.set_content(text)
    return message


def send_reply(settings: Mapping[str, Any], **fields: Any) -> str:
    """Send a reply over SMTP; returns its Message-ID."""
    message = build_reply(settings, **fields)
    host = str(settings.get("smtp_host") or "")
    if not host:
        raise MailboxError("smtp_host is not set")
    use_ssl = bool(settings.get("smtp_ssl", False))
    port = int(settings.get("smtp_port") or (465 if use_ssl else 587))
    try:
        smtp: smtplib.SMTP = (
            smtplib.SMTP_SSL(host, port, timeout=30, context=ssl.create_default_context())
            if use_ssl
            else smtplib.SMTP(host, port, timeout=30)
        )
        with smtp:
            if not use_ssl and settings.get("smtp_starttls", True):
                smtp.starttls(context=ssl.create_default_context())
            if settings.get("smtp_user"):
                smtp.login(str(settings["smtp_user"]), str(settings.get("smtp_password", "")))
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise MailboxError(f"SMTP {host}:{port}: {exc}") from exc
    return str(message["Message-ID"])
