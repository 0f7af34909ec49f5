"""What every service source adapter returns: a message in a conversation, or a marketplace's
after-sales request. Adapters are pure (bytes in, these out) and raise
:class:`~omnioms.channels.adapters.base.NormalizationError` naming the field they could not
read; the intake turns that into a dead letter with the raw bytes kept."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from omnioms.channels.adapters.base import NormalizationError

__all__ = [
    "AfterSaleLine",
    "AfterSaleRequest",
    "Attached",
    "MediaRef",
    "NormalizationError",
    "ServiceMessage",
]


@dataclass(frozen=True)
class Attached:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class MediaRef:
    """A file the platform keeps for a while (WeChat's temporary media: three days), to be
    fetched by its id after the message is stored."""

    media_id: str
    kind: str
    """image, voice, video or file."""
    filename: str = ""
    """A name to use when the platform's answer gives none."""


@dataclass(frozen=True)
class ServiceMessage:
    """One message a customer sent (or an event with nothing to show: ``text`` empty and
    ``is_event``)."""

    event_id: str
    """Dedupe key: the same on every delivery (Message-ID, MsgId)."""
    thread_key: str
    """Which conversation it continues: an e-mail thread's first Message-ID, a WeChat user."""
    contact: str
    """Where a reply goes: an e-mail address, an openid, an external_userid."""
    at: datetime
    text: str
    contact_name: str = ""
    subject: str = ""
    external_id: str = ""
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    attachments: tuple[Attached, ...] = ()
    media: tuple[MediaRef, ...] = ()
    """Files to fetch from the platform (WeChat and WeCom images, voice, video, files)."""
    is_event: bool = False


@dataclass(frozen=True)
class AfterSaleLine:
    external_line_id: str | None
    sku: str | None
    quantity: int | None


@dataclass(frozen=True)
class AfterSaleRequest:
    """A refund or return request a marketplace reports."""

    platform: str
    event_id: str
    """Dedupe key of this report (the request id with its status and change time)."""
    reference: str
    """The platform's id of the request: one ticket per reference."""
    order_external_id: str
    kind: str
    """``refund`` or ``return`` (a ``TicketType``)."""
    status: str
    at: datetime
    reason: str = ""
    amount: Decimal | None = None
    currency: str = ""
    buyer_id: str = ""
    deadline: datetime | None = None
    """When the platform decides for the buyer if the seller has not answered."""
    closed: bool = False
    """The platform finished it (refunded, cancelled by the buyer, closed)."""
    lines: tuple[AfterSaleLine, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        money = f" {self.amount} {self.currency}" if self.amount is not None else ""
        return f"{self.platform} {self.kind} {self.reference}: {self.status}{money} {self.reason}"


_LANG_CJK = re.compile(r"[\u3400-\u9fff]")


def guess_language(text: str) -> str:
    """``zh-hans`` when the text has Chinese characters, else ``en``."""
    return "zh-hans" if _LANG_CJK.search(text or "") else "en"
