"""Pure rules for recognising the same customer across channels."""

from __future__ import annotations

import re
from dataclasses import dataclass

from omnioms.channels.contract import Address, Buyer

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
    return digits if 6 <= len(digits) <= 20 else None  # E.164 numbers have at most 15


def identity_keys(platform: str, buyer: Buyer, ship_to: Address | None = None) -> list[IdentityKey]:
    """The keys that identify a buyer: their channel id, e-mail and phone.

    Marketplaces such as Taobao and Douyin give no buyer phone or e-mail, only the receiver's;
    the receiver's phone then stands for the buyer, as Chinese order systems do, so that the
    same person buying on two platforms becomes one customer. (A gift sent to a friend links
    the friend's number to the buyer; the receiver phone is used only when the buyer has no
    phone or e-mail of their own to prevent most of that.)
    """
    keys = []
    if buyer.channel_buyer_id:
        keys.append(IdentityKey("channel_buyer", platform, buyer.channel_buyer_id))
    if email := normalize_email(buyer.email):
        keys.append(IdentityKey("email", "", email))
    if (phone := normalize_phone(buyer.phone)) or (
        not buyer.email
        and ship_to is not None
        and not ship_to.masked
        and (phone := normalize_phone(ship_to.phone))
    ):
        keys.append(IdentityKey("phone", "", phone))
    return keys
