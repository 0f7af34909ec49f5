"""Talking to the platforms: one client per platform behind one interface.

Adapters (``channels/adapters``) are pure and only read payloads. Clients make the HTTP calls:
pulling orders updated since a cursor, fetching one order, telling the platform what staff did
(shipped, cancelled, refunded, a new address: where its API allows) and pushing what a channel
may sell. Every client goes through :mod:`omnioms.channels.clients.http` (issue
4: retries with backoff, a rate limit per account, timeouts) and reads its base URL and keys
from ``ChannelAccount.api_credentials``, so tests point it at a local server on loopback.

The interface below is the contract between the callers (the pull and reconcile jobs, the
outbound shipping queue, the inventory availability push) and the platform modules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from omnioms.channels.adapters.base import Record

if TYPE_CHECKING:
    from omnioms.channels.models import ChannelAccount


class ClientError(Exception):
    """A platform call failed. ``retryable`` says whether trying again later may succeed
    (timeouts, 429, 5xx) or a person must act first (bad credentials, a rejected request)."""

    def __init__(self, message: str, *, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


class NotSupported(ClientError):
    """The platform (or this account's set-up) has no such call."""

    def __init__(self, message: str) -> None:
        super().__init__(message, retryable=False)


@dataclass(frozen=True)
class Page:
    """One page of orders updated in a window, as records the platform's adapter normalises."""

    records: list[Record]
    next_cursor: str | None = None
    """Opaque; None when this was the last page of the window."""


@dataclass(frozen=True)
class AvailabilityItem:
    """What one channel SKU may sell now."""

    external_sku: str
    """The platform's SKU code (the account's SKU mapping, else our SKU code)."""
    quantity: int
    sku_code: str = ""
    """Our SKU code, for logs and errors."""


@dataclass(frozen=True)
class Shipment:
    external_id: str
    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: Sequence[tuple[str, int]] = field(default=())
    """(external line id, quantity) for a partial shipment; empty means the whole order."""


@dataclass(frozen=True)
class Cancellation:
    """A person cancelled the order in omnioms; the platform is asked to cancel it too."""

    external_id: str
    reason: str = ""
    reference: str = ""
    """Names the outbound command (``omnioms #12``): put where the platform keeps a note, so a
    retried command can see it was done already."""


@dataclass(frozen=True)
class RefundLine:
    line_id: str
    """The platform's line id (``OrderLine.external_line_id``)."""
    quantity: int
    amount: Decimal
    """What these units are worth, in the order's currency."""


@dataclass(frozen=True)
class Refund:
    """A refund decided in omnioms: money back for some units (all of them for a whole
    refund)."""

    external_id: str
    lines: Sequence[RefundLine]
    amount: Decimal
    """The money to return (the person's amount, else what the lines are worth)."""
    currency: str
    reason: str = ""
    reference: str = ""


@dataclass(frozen=True)
class AddressChange:
    """The order's new shipping address (the fields of ``contract.Address``)."""

    external_id: str
    address: dict[str, Any]
    reference: str = ""


WRITE_BACK_CALLS = {
    "mark_shipped": "mark_shipped",
    "cancel_order": "cancel_order",
    "refund": "refund",
    "change_address": "change_address",
}
"""Outbound command kind -> the client method that sends it."""


@dataclass(frozen=True)
class OrderStamp:
    """What reconciliation compares: an order's id and how new the platform's copy is."""

    external_id: str
    updated_at: datetime | None
    version: int | None = None


@dataclass(frozen=True)
class StampPage:
    stamps: list[OrderStamp]
    next_cursor: str | None = None
    unreadable: list[Record] = field(default_factory=list)
    """Listed records that could not be read; reconciliation stores them as dead letters."""


class PlatformClient(Protocol):
    def fetch_updated(self, since: datetime, until: datetime, cursor: str | None) -> Page:
        """Orders updated in ``[since, until)``, one page at a time."""
        ...

    def fetch_order(self, external_id: str) -> Record: ...

    def mark_shipped(self, shipment: Shipment) -> None: ...

    def cancel_order(self, cancellation: Cancellation) -> None: ...

    def refund(self, refund: Refund) -> None: ...

    def change_address(self, change: AddressChange) -> None: ...

    def push_availability(self, items: Sequence[AvailabilityItem]) -> None: ...

    def list_updated(self, since: datetime, until: datetime, cursor: str | None) -> StampPage:
        """Ids and update times of the orders updated in ``[since, until)`` (reconciliation)."""
        ...

    def close(self) -> None: ...


def get_client(account: ChannelAccount) -> PlatformClient:
    """The client for an account's platform. Raises :class:`NotSupported` for platforms with no
    API (store POS exports, manual entry)."""
    from omnioms.channels.clients.registry import client_for

    return client_for(account)
