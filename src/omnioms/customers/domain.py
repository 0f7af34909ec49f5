"""Pure rules for recognising the same customer across channels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from omnioms.channels.contract import Buyer

_NOT_DIGITS = re.compile(r"\D")


@dataclass(frozen=True)
class IdentityKey:
    kind: str
    scope: str
    value: str


def normalize_email(email: str | None) -> str | None:
    if not email or "@" not in email or "*" in email:
        return None
    return email.strip().lower()


def normalize_phone(phone: str | None) -> str | None:
    """Digits only, with China's +86 dropped; masked numbers (``138****1234``) identify no one."""
    if not phone or "*" in phone:
        return None
    digits = _NOT_DIGITS.sub("", phone)
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits if len(digits) >= 6 else None


def identity_keys(platform: str, buyer: Buyer) -> list[IdentityKey]:
    keys = []
    if buyer.channel_buyer_id:
        keys.append(IdentityKey("channel_buyer", platform, buyer.channel_buyer_id))
    if email := normalize_email(buyer.email):
        keys.append(IdentityKey("email", "", email))
    if phone := normalize_phone(buyer.phone):
        keys.append(IdentityKey("phone", "", phone))
    return keys
