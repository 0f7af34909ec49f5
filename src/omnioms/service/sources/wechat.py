"""WeChat Official Account (公众号): signed XML pushes in, customer-service messages out.

Settings: ``token`` (the push token), ``app_id``, ``app_secret``, ``encoding_aes_key`` (43
characters; safe mode), ``base_url`` (``https://api.weixin.qq.com``).

Pushes (WeChat's "接收普通消息" documentation): the URL carries ``signature``, ``timestamp``
and ``nonce``; ``signature = sha1(sorted(token, timestamp, nonce) joined)``. In safe mode
(``encrypt_type=aes``) the body is ``<xml><ToUserName/><Encrypt/></xml>`` and
``msg_signature = sha1(sorted(token, timestamp, nonce, Encrypt) joined)``; ``Encrypt`` is
base64 of AES-256-CBC (key = base64(EncodingAESKey + "="), IV = its first 16 bytes, PKCS#7
padding to 32 bytes) over ``16 random bytes + 4-byte big-endian length + XML + app id``
(WeChat's ``WXBizMsgCrypt``; WeCom uses the same with the corp id). The first check of the URL
is a GET with ``echostr``, answered with it (decrypted in WeCom's case).

Messages: ``MsgType`` text (``Content``), image (``PicUrl``, ``MediaId``), voice (``MediaId``,
``Format``, ``Recognition``), video and shortvideo (``MediaId``, ``ThumbMediaId``), location,
link; ``MsgId`` is the dedupe key. Events (subscribe, menu clicks) carry no message and are
ignored.

Media: the files of image, voice and video messages are temporary media, kept by WeChat for
three days and fetched with ``GET /cgi-bin/media/get?access_token=...&media_id=...`` (the file
itself, named in ``Content-Disposition``; for a video a JSON ``{"video_url": ...}`` to
download; an error as JSON, ``40007 invalid media_id`` once it has expired).

Replies: the customer-service message API ``POST /cgi-bin/message/custom/send`` with an access
token from ``GET /cgi-bin/token`` (kept until shortly before it expires); allowed within 48
hours of the customer's last message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import httpx
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from omnioms.channels.adapters.base import NormalizationError
from omnioms.service.sources.base import MediaRef, ServiceMessage

DEFAULT_BASE = "https://api.weixin.qq.com"
BLOCK = 32


class ApiError(Exception):
    """The platform refused or could not be reached; ``code`` is its ``errcode`` if any."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


TOKEN_ERRORS = (40001, 40014, 42001)
"""The access token expired or was revoked: fetched again on the next call."""
MEDIA_KINDS = {"image": "image", "voice": "voice", "video": "video", "shortvideo": "video"}
_EXTENSIONS = {"image": "jpg", "video": "mp4"}


# ----------------------------------------------------------------------------------------------
# Signatures and WXBizMsgCrypt


def sha1_signature(*parts: str) -> str:
    # SHA-1 is what WeChat signs with; it is not our choice.
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def verify(query: Mapping[str, str], token: str, encrypted: str | None = None) -> bool:
    """The push's signature: ``msg_signature`` over the ciphertext in safe mode, else
    ``signature``."""
    if not token:
        return False
    timestamp, nonce = query.get("timestamp", ""), query.get("nonce", "")
    if encrypted is not None:
        expected = sha1_signature(token, timestamp, nonce, encrypted)
        return hmac.compare_digest(expected, query.get("msg_signature", ""))
    expected = sha1_signature(token, timestamp, nonce)
    return hmac.compare_digest(expected, query.get("signature", ""))


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=")
    except (ValueError, TypeError) as exc:
        raise NormalizationError("not base64", field="encoding_aes_key") from exc
    if len(key) != 32:
        raise NormalizationError("must be 43 characters (32 bytes)", field="encoding_aes_key")
    return key


def decrypt(encrypted: str, encoding_aes_key: str, receive_id: str = "") -> bytes:
    key = _key(encoding_aes_key)
    try:
        data = base64.b64decode(encrypted)
    except ValueError as exc:
        raise NormalizationError("not base64", field="Encrypt") from exc
    if not data or len(data) % 16:
        raise NormalizationError("ciphertext length is not a multiple of 16", field="Encrypt")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(data) + decryptor.finalize()
    pad = plain[-1]
    if not 1 <= pad <= BLOCK:
        raise NormalizationError("bad padding (wrong EncodingAESKey?)", field="Encrypt")
    plain = plain[:-pad]
    if len(plain) < 20:
        raise NormalizationError("too short", field="Encrypt")
    (length,) = struct.unpack(">I", plain[16:20])
    message, tail = plain[20 : 20 + length], plain[20 + length :]
    if receive_id and tail.decode(errors="replace") != receive_id:
        raise NormalizationError(
            f"addressed to {tail.decode(errors='replace')!r}, not {receive_id!r}", field="Encrypt"
        )
    return message


def encrypt(
    message: bytes, encoding_aes_key: str, receive_id: str, *, random: bytes | None = None
) -> str:
    key = _key(encoding_aes_key)
    plain = (
        (random or os.urandom(16)) + struct.pack(">I", len(message)) + message + receive_id.encode()
    )
    pad = BLOCK - len(plain) % BLOCK
    plain += bytes([pad]) * pad
    encryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()


def xml_fields(body: bytes) -> dict[str, str]:
    """The child elements of a push's ``<xml>`` root as text (entities and DTDs refused)."""
    try:
        root = ElementTree.fromstring(body, forbid_dtd=True)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise NormalizationError(f"not readable XML ({exc})") from exc
    if root.tag != "xml":
        raise NormalizationError(f"root element is <{root.tag}>, not <xml>")
    return {child.tag: (child.text or "").strip() for child in root}


def open_push(body: bytes, settings: Mapping[str, Any], receive_id: str) -> dict[str, str]:
    """The push's fields, decrypted when it is in safe mode."""
    fields = xml_fields(body)
    if "Encrypt" in fields:
        key = str(settings.get("encoding_aes_key") or "")
        if not key:
            raise NormalizationError("the push is encrypted but no encoding_aes_key is set")
        fields = xml_fields(decrypt(fields["Encrypt"], key, receive_id))
    return fields


# ----------------------------------------------------------------------------------------------
# Messages


def event_id(fields: Mapping[str, str]) -> str:
    return fields.get("MsgId") or ":".join(
        fields.get(k, "") for k in ("FromUserName", "CreateTime", "Event")
    )


def parse(
    body: bytes, headers: Mapping[str, Any], settings: Mapping[str, Any]
) -> ServiceMessage | None:
    """A push as a customer's message; ``None`` for events that carry none."""
    fields = open_push(body, settings, str(settings.get("app_id") or ""))
    kind = fields.get("MsgType", "")
    sender = fields.get("FromUserName", "")
    if not sender:
        raise NormalizationError("is missing", field="FromUserName")
    if kind == "event" or not kind:
        return None
    try:
        at = datetime.fromtimestamp(int(fields.get("CreateTime", "0")), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise NormalizationError("not a Unix time", field="CreateTime") from exc
    text = {
        "text": fields.get("Content", ""),
        "image": f"[image] {fields.get('PicUrl', '')}",
        "voice": f"[voice] {fields.get('Recognition', '')}".strip(),
        "video": "[video]",
        "shortvideo": "[video]",
        "location": "[location] {} {},{}".format(
            fields.get("Label", ""), fields.get("Location_X", ""), fields.get("Location_Y", "")
        ),
        "link": f"[link] {fields.get('Title', '')} {fields.get('Url', '')}",
    }.get(kind, f"[{kind}]")
    media: tuple[MediaRef, ...] = ()
    if kind in MEDIA_KINDS and fields.get("MediaId"):
        extension = fields.get("Format", "").lower() or _EXTENSIONS.get(MEDIA_KINDS[kind], "bin")
        media = (
            MediaRef(
                media_id=fields["MediaId"],
                kind=MEDIA_KINDS[kind],
                filename=f"{MEDIA_KINDS[kind]}-{fields.get('MsgId') or fields['MediaId']}"
                f".{extension}",
            ),
        )
    return ServiceMessage(
        event_id=event_id(fields),
        thread_key=sender,
        contact=sender,
        at=at,
        text=text.strip(),
        external_id=fields.get("MsgId", ""),
        media=media,
    )


# ----------------------------------------------------------------------------------------------
# Replies


_tokens: dict[tuple[str, str], tuple[float, str]] = {}


class Client:
    """The Official Account's API (access token, customer-service messages)."""

    token_path = "/cgi-bin/token"  # noqa: S105 (a path, not a password)
    send_path = "/cgi-bin/message/custom/send"

    def __init__(
        self, settings: Mapping[str, Any], *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.base = str(settings.get("base_url") or DEFAULT_BASE).rstrip("/")
        self.http = httpx.Client(timeout=15, transport=transport)

    def _check(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise ApiError(f"{response.request.url.path}: HTTP {response.status_code}")
        try:
            data: dict[str, Any] = response.json()
        except ValueError as exc:
            raise ApiError(f"{response.request.url.path}: not JSON") from exc
        if data.get("errcode", 0) != 0:
            code = data.get("errcode")
            raise ApiError(
                f"{response.request.url.path}: {code} {data.get('errmsg', '')}",
                code=code if isinstance(code, int) else None,
            )
        return data

    def token_params(self) -> dict[str, str]:
        return {
            "grant_type": "client_credential",
            "appid": str(self.settings.get("app_id", "")),
            "secret": str(self.settings.get("app_secret", "")),
        }

    def access_token(self) -> str:
        key = (self.base, str(self.settings.get("app_id") or self.settings.get("corp_id") or ""))
        cached = _tokens.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        try:
            data = self._check(
                self.http.get(self.base + self.token_path, params=self.token_params())
            )
        except httpx.HTTPError as exc:
            raise ApiError(f"{self.token_path}: {exc}") from exc
        token = str(data.get("access_token") or "")
        if not token:
            raise ApiError(f"{self.token_path}: no access_token in the answer")
        _tokens[key] = (time.monotonic() + max(60, int(data.get("expires_in", 7200)) - 300), token)
        return token

    def post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self.http.post(
                self.base + path,
                params={"access_token": self.access_token()},
                content=httpx_json(body),
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        except httpx.HTTPError as exc:
            raise ApiError(f"{path}: {exc}") from exc
        if response.status_code < 400:
            data = response.json() if response.content else {}
            if data.get("errcode") in TOKEN_ERRORS:
                _tokens.clear()
        return self._check(response)

    media_path = "/cgi-bin/media/get"

    def get_media(self, media_id: str, *, limit: int) -> tuple[str, str, bytes]:
        """A temporary media file: its name, content type and bytes (at most ``limit``)."""
        try:
            response = self.http.get(
                self.base + self.media_path,
                params={"access_token": self.access_token(), "media_id": media_id},
            )
        except httpx.HTTPError as exc:
            raise ApiError(f"{self.media_path}: {exc}") from exc
        if response.status_code >= 400:
            raise ApiError(f"{self.media_path}: HTTP {response.status_code}")
        content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
        disposition = response.headers.get("content-disposition", "")
        if not disposition and content_type in ("application/json", "text/plain"):
            # An error, or (a video on the Official Account) where to download it.
            if response.content[:1] != b"{":
                raise ApiError(f"{self.media_path}: neither a file nor JSON")
            try:
                data = self._check(response)
            except ApiError as exc:
                if exc.code in TOKEN_ERRORS:
                    _tokens.clear()
                raise
            url = str(data.get("video_url") or "")
            if not url:
                raise ApiError(f"{self.media_path}: no file and no video_url in the answer")
            try:
                response = self.http.get(url)
            except httpx.HTTPError as exc:
                raise ApiError(f"video_url: {exc}") from exc
            if response.status_code >= 400:
                raise ApiError(f"video_url: HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "").split(";")[0].strip()
            disposition = response.headers.get("content-disposition", "")
            content_type = content_type or "video/mp4"
        if len(response.content) > limit:
            raise ApiError(
                f"{self.media_path}: {len(response.content)} bytes, more than the limit of {limit}"
            )
        return (
            filename_of(disposition),
            content_type or "application/octet-stream",
            response.content,
        )

    def send_text(self, to: str, text: str) -> str:
        self.post(self.send_path, {"touser": to, "msgtype": "text", "text": {"content": text}})
        return ""


_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)


def filename_of(disposition: str) -> str:
    """The file name a ``Content-Disposition`` header gives (RFC 6266, either form), or ''."""
    names = _FILENAME.findall(disposition)
    if not names:
        return ""
    name = unquote(names[-1]).strip().replace("/", "_").replace("\\", "_")
    return name[:255]


def httpx_json(body: Mapping[str, Any]) -> bytes:
    import json

    # Some WeChat clients show JSON's \\u escapes literally: send the text as UTF-8.
    return json.dumps(body, ensure_ascii=False).encode()
