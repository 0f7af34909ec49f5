"""Pure rules of orders: which version of an order is newer, what changed, and what a
shipment a person records does to the order's status."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from omnioms.channels.contract import NormalizedOrder
from omnioms.core.choices import OrderStatus as S
from omnioms.orders.flows import PROGRESS

_EPOCH_TEXT = "0000-00-00T00:00:00.000000"

VersionKey = tuple[str, int, int, str]


def snapshot_key(snapshot: dict[str, Any], digest: str) -> VersionKey:
    """A total order on versions of one order, the same whatever order they arrive in.

    The platform's update time decides, then its revision counter; two versions that claim the
    same time and revision are ranked by how far the order has progressed, and finally by content
    hash, so that every replica converges on the same winner.
    """
    updated = snapshot.get("updated_at")
    parsed = datetime.fromisoformat(str(updated).replace("Z", "+00:00")) if updated else None
    return _key(parsed, snapshot.get("version"), snapshot.get("status", ""), digest)


def version_key(order: NormalizedOrder, digest: str) -> VersionKey:
    """:func:`snapshot_key` of ``order``'s contract JSON, read off the order itself."""
    updated = order.updated_at.astimezone(UTC) if order.updated_at is not None else None
    return _key(updated, order.version, order.status, digest)


def supersedes(
    incoming: VersionKey,
    stored: VersionKey,
    *,
    incoming_received: datetime | None = None,
    stored_received: datetime | None = None,
) -> bool:
    """Whether a version with key ``incoming`` replaces the stored one.

    The newer by :func:`snapshot_key` wins. Two versions of which neither carries an update
    time or a revision (staff entry, ``POST /api/v1/orders`` without ``updated_at``, a store's
    export) have nothing of their own to be ranked by, so when they differ the one omnioms
    received later wins (``*_received``: when each payload arrived, not when it was processed):
    a correction posted or imported again replaces what it corrects, while an old dead letter
    replayed, or a delivery a second worker took late, does not replace a newer one.
    """
    if incoming > stored:
        return True
    unversioned = (_EPOCH_TEXT, -1)
    if not (incoming[:2] == stored[:2] == unversioned) or incoming[3] == stored[3]:
        return False
    if incoming_received is None or stored_received is None:
        return True  # nothing known of the stored version's arrival: this one is the latest
    return incoming_received >= stored_received


def _key(updated: datetime | None, version: Any, status: str, digest: str) -> VersionKey:
    stamp = updated.strftime("%Y-%m-%dT%H:%M:%S.%f") if updated is not None else _EPOCH_TEXT
    return (stamp, -1 if version is None else int(version), PROGRESS.get(status, -1), digest)


_TRACKED = (
    "status",
    "raw_status",
    "currency",
    "created_at",
    "paid_at",
    "buyer",
    "ship_to",
    "shipping",
    "discount",
    "tax",
    "taxes_included",
    "total",
    "notes",
)


def changes_between(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for what a person would call a change of the order."""
    changed: dict[str, list[Any]] = {
        name: [old.get(name), new.get(name)] for name in _TRACKED if old.get(name) != new.get(name)
    }
    if old.get("lines") != new.get("lines"):
        changed["lines"] = [_lines_summary(old.get("lines")), _lines_summary(new.get("lines"))]
    return changed


def _lines_summary(lines: list[dict[str, Any]] | None) -> list[str]:
    return [
        f"{line.get('quantity')} × {line.get('sku') or line.get('title')}"
        + (f" (−{line['refunded_quantity']})" if line.get("refunded_quantity") else "")
        for line in lines or []
    ]


# ----------------------------------------------------------------------------------------------
# Shipments a person records


class ShipmentError(ValueError):
    """A shipment that cannot be recorded; the message names the field."""


@dataclass(frozen=True)
class ShipmentLine:
    external_line_id: str
    quantity: int


@dataclass(frozen=True)
class Shipment:
    """What left the building: with which carrier and tracking number, and which lines (none:
    the whole order)."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    lines: tuple[ShipmentLine, ...] = ()

    def details(self) -> dict[str, Any]:
        """As stored on the order's timeline and in the command to the platform."""
        return {
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            "shipped_at": self.shipped_at.isoformat(),
            "lines": [[line.external_line_id, line.quantity] for line in self.lines],
        }


def make_shipment(
    carrier: str,
    tracking_number: str,
    *,
    shipped_at: datetime,
    lines: Sequence[ShipmentLine] = (),
) -> Shipment:
    """A :class:`Shipment` from what a person typed, or :class:`ShipmentError` naming the field."""
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier:
        raise ShipmentError("carrier: is required")
    if not tracking_number:
        raise ShipmentError("tracking_number: is required")
    if len(carrier) > 100 or len(tracking_number) > 100:
        raise ShipmentError("carrier and tracking_number: at most 100 characters each")
    if shipped_at.tzinfo is None:
        raise ShipmentError("shipped_at: must carry a time zone")
    return Shipment(carrier, tracking_number, shipped_at, tuple(lines))


def shipped_status(status: str, ordered: Mapping[str, int], shipment: Shipment) -> str:
    """The status an order in ``status`` with lines ``ordered`` (external line id -> quantity)
    moves to with ``shipment``: shipped, or partially shipped when units stay behind."""
    if not shipment.lines:
        return S.SHIPPED
    for line in shipment.lines:
        if line.quantity <= 0:
            raise ShipmentError(f"lines: quantity of line {line.external_line_id} must be positive")
        if line.external_line_id not in ordered:
            raise ShipmentError(f"lines: the order has no line {line.external_line_id!r}")
        if line.quantity > ordered[line.external_line_id]:
            raise ShipmentError(
                f"lines: line {line.external_line_id} has {ordered[line.external_line_id]} "
                f"units, not {line.quantity}"
            )
    shipped = {line.external_line_id: line.quantity for line in shipment.lines}
    whole = all(shipped.get(line_id, 0) >= quantity for line_id, quantity in ordered.items())
    return S.SHIPPED if whole or status == S.SHIPPED else S.PARTIALLY_SHIPPED
