"""WeCom customer service (企业微信 微信客服): an encrypted push says messages are waiting;
they are fetched with ``sync_msg`` and answered with ``send_msg``.

Settings: ``token``, ``encoding_aes_key``, ``corp_id``, ``secret`` (the customer-service
app's), ``open_kfid`` (the service account), ``base_url`` (``https://qyapi.weixin.qq.com``).

The push (event ``kf_msg_or_event``) is always in safe mode: ``msg_signature`` over the
``Encrypt`` element, AES as in :mod:`wechat`, addressed to the corp id. Its ``Token`` lets the
next ``sync_msg`` call (within ten minutes) fetch at a higher rate. ``sync_msg`` answers
``msg_list`` items with ``msgid`` (the dedupe key), ``external_userid`` (the customer),
``send_time`` (Unix seconds), ``origin`` (3 = the customer, 4 = system, 5 = a servicer:
only 3 opens or continues a conversation), ``msgtype`` and e.g. ``text.content``; each is
stored as its own item. Image, voice, video and file messages carry ``{msgtype}.media_id``,
temporary media fetched with ``GET /cgi-bin/media/get`` (as the Official Account's).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from omnioms.channels.adapters.base import NormalizationError
from omnioms.service.sources import wechat
from omnioms.service.sources.base import MediaRef, ServiceMessage

DEFAULT_BASE = "https://qyapi.weixin.qq.com"
EVENT = "kf_msg_or_event"
FROM_CUSTOMER = 3
ApiError = wechat.ApiError
MEDIA_KINDS = {"image": "jpg", "voice": "amr", "video": "mp4", "file": "bin"}
"""Message types whose file is temporary media (``media_id``), fetched with ``media/get``;
the extension is the fallback name's (the answer's ``Content-Disposition`` names the file)."""


def parse_push(
    body: bytes, headers: Mapping[str, Any], settings: Mapping[str, Any]
) -> dict[str, str]:
    fields = wechat.open_push(body, settings, str(settings.get("corp_id") or ""))
    if fields.get("Event") != EVENT:
        raise NormalizationError(f"event {fields.get('Event')!r} is not {EVENT}", field="Event")
    return fields


def parse_message(raw: bytes) -> ServiceMessage | None:
    """One ``msg_list`` item; ``None`` when not from the customer (system, servicer)."""
    try:
        item = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NormalizationError(f"not valid JSON ({exc})") from exc
    if not isinstance(item, dict):
        raise NormalizationError("not a JSON object")
    if item.get("origin") != FROM_CUSTOMER:
        return None
    user = str(item.get("external_userid") or "")
    if not user:
        raise NormalizationError("is missing", field="external_userid")
    try:
        at = datetime.fromtimestamp(int(str(item.get("send_time"))), UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise NormalizationError("not a Unix time", field="send_time") from exc
    kind = str(item.get("msgtype") or "")
    found = item.get(kind)
    content: dict[str, Any] = found if isinstance(found, dict) else {}
    text = str(content.get("content") or "") if kind == "text" else f"[{kind}]"
    media: tuple[MediaRef, ...] = ()
    if kind in MEDIA_KINDS and content.get("media_id"):
        media = (
            MediaRef(
                media_id=str(content["media_id"]),
                kind=kind,
                filename=f"{kind}-{item.get('msgid') or 'file'}.{MEDIA_KINDS[kind]}",
            ),
        )
    return ServiceMessage(
        event_id=str(item.get("msgid") or ""),
        thread_key=f"{item.get('open_kfid', '')}:{user}",
        contact=user,
        at=at,
        text=text,
        external_id=str(item.get("msgid") or ""),
        media=media,
    )


class Client(wechat.Client):
    token_path = "/cgi-bin/gettoken"  # noqa: S105 (a path, not a password)

    def __init__(
        self, settings: Mapping[str, Any], *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__({"base_url": DEFAULT_BASE, **settings}, transport=transport)

    def token_params(self) -> dict[str, str]:
        return {
            "corpid": str(self.settings.get("corp_id", "")),
            "corpsecret": str(self.settings.get("secret", "")),
        }

    def sync_messages(self, cursor: str, token: str = "") -> tuple[list[tuple[bytes, str]], str]:
        """Every waiting message (pages followed while ``has_more``), each as its JSON bytes
        with its msgid, and the cursor to start from next time."""
        messages: list[tuple[bytes, str]] = []
        for _page in range(50):
            body: dict[str, Any] = {
                "cursor": cursor,
                "limit": 1000,
                "open_kfid": self.settings.get("open_kfid", ""),
            }
            if token:
                body["token"] = token
            data = self.post("/cgi-bin/kf/sync_msg", body)
            for item in data.get("msg_list") or []:
                messages.append(
                    (json.dumps(item, ensure_ascii=False).encode(), str(item.get("msgid") or ""))
                )
            cursor = str(data.get("next_cursor") or cursor)
            if not data.get("has_more"):
                break
        return messages, cursor

    def send_text(self, to: str, text: str) -> str:
        user = to.split(":", 1)[-1]
        data = self.post(
            "/cgi-bin/kf/send_msg",
            {
                "touser": user,
                "open_kfid": self.settings.get("open_kfid", ""),
                "msgtype": "text",
                "text": {"content": text},
            },
        )
        return str(data.get("msgid") or "")
