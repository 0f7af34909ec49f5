"""Helpers only the Chinese marketplaces share (JD, Pinduoduo, Youzan, WeChat Channels, Douyin,
Taobao): encrypted and masked personal fields, SKU spec strings, the md5 push signature.

Personal data: these platforms desensitise a receiver's fields (``张*``, ``138****1234``) or
send them encrypted, as ``#…#``, ``$…$`` or ``~…~`` wrapped ciphertext (Youzan's ``$…$1$``
too). Ciphertext is never copied into an order and never decrypted here: it stays in the stored
raw payload, and the order shows :data:`MASK` with ``masked`` set.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from omnioms.channels.adapters.base import any_secret_matches, iter_list, text

CIPHER_MARKS = ("#", "$", "~")
MASK = "***"
"""Shown for a personal field that arrived encrypted and has no masked form."""


# ----------------------------------------------------------------------------------------------
# Personal fields


def is_cipher(value: Any) -> bool:
    """Platform ciphertext: a string wrapped in ``#``, ``$`` or ``~`` (``#…#``, ``$…$1$``)."""
    result = text(value)
    return bool(
        result and len(result) > 2 and result[0] in CIPHER_MARKS and result[-1] == result[0]
    )


def plain(value: Any) -> str | None:
    """The text of a field, or None when it is ciphertext."""
    return None if is_cipher(value) else text(value)


def shown(value: Any) -> tuple[str | None, bool]:
    """What a person may see of a personal field (its text, or :data:`MASK` for ciphertext),
    and whether it is hidden: encrypted, or desensitised with ``*``."""
    result = text(value)
    if result is None:
        return None, False
    if is_cipher(result):
        return MASK, True
    return result, "*" in result


# ----------------------------------------------------------------------------------------------
# Titles


def spec_text(entries: Any, field: str, name_key: str, value_key: str) -> str | None:
    """A SKU's attributes, ``[{<name_key>: "颜色", <value_key>: "黑色"}, ...]``, as
    ``颜色:黑色;尺码:L``; an attribute with only a name or a value shows that alone. None when
    there are none."""
    parts = []
    for entry in iter_list(entries, field):
        if isinstance(entry, dict):
            name, content = text(entry.get(name_key)), text(entry.get(value_key))
            parts.append(f"{name}:{content}" if name and content else name or content or "")
    return ";".join(part for part in parts if part) or None


def title_with_spec(title: Any, spec: str | None) -> str:
    """A line's title as these platforms show it: ``title [spec]``, or the title alone."""
    name = text(title) or ""
    return f"{name} [{spec}]" if spec else name


# ----------------------------------------------------------------------------------------------
# Push signature


def md5_key_secret_matches(body: bytes, given: str | None, secrets: Sequence[str]) -> bool:
    """Douyin's and Youzan's push signature: md5(key + raw body + secret) as lowercase hex.

    It needs two values where other platforms need one, so each configured secret of the
    account is the string ``"<key>:<secret>"`` (app key or client id, split at the first colon);
    several may be active during a rotation. A secret without a colon never matches.
    """

    def expected(secret: str) -> str:
        key, colon, value = secret.partition(":")
        if not colon or not key.strip() or not value.strip():
            return ""
        message = key.strip().encode() + body + value.strip().encode()
        # MD5 is the platforms' choice, not ours; usedforsecurity=False keeps FIPS builds working.
        return hashlib.md5(message, usedforsecurity=False).hexdigest()

    return any_secret_matches(expected, given.strip().lower() if given else None, secrets)
