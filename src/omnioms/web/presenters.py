"""Turning stored rows into what a person reads: timeline entries and changed values.

Raw payload bodies are made readable by :mod:`omnioms.channels.bodies`.

No queries here: views hand in rows they loaded through the selectors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from omnioms.core.choices import OrderStatus
from omnioms.flows.registry import FIELDS
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.sync.outbound import outbound_message

_FIELD_LABELS = {
    "status": _("status"),
    "raw_status": _("channel status"),
    "currency": _("currency"),
    "paid_at": _("paid at"),
    "buyer": _("buyer"),
    "ship_to": _("ship to"),
    "shipping": _("shipping"),
    "discount": _("discount"),
    "tax": _("tax"),
    "total": _("total"),
    "notes": _("notes"),
    "lines": _("lines"),
    "updated_at": _("updated on channel"),
}

_KEY_LABELS = {
    "name": _("name"),
    "email": _("e-mail"),
    "phone": _("phone"),
    "channel_buyer_id": _("channel buyer id"),
    "country": _("country"),
    "province": _("province"),
    "city": _("city"),
    "district": _("district"),
    "address": _("address"),
    "postal_code": _("postal code"),
    "masked": _("masked"),
    "buyer": _("buyer"),
    "seller": _("seller"),
}

_TIME_FIELDS = {"paid_at", "updated_at", "created_at"}


def status_label(code: Any) -> str:
    """The translated label of a status code; the code itself if it is not one we know."""
    if code in OrderStatus.values:
        return str(OrderStatus(code).label)
    return "—" if code in (None, "") else str(code)


def local_time_text(value: Any) -> str:
    """An ISO-8601 time from a stored snapshot, shown in the business time zone."""
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if timezone.is_aware(parsed):
        parsed = timezone.localtime(parsed)
    return parsed.strftime("%Y-%m-%d %H:%M")


def value_text(name: str, value: Any) -> str:
    """One side of a ``{field: [old, new]}`` change, as a short line of text."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if name == "status":
        return status_label(value)
    if name in _TIME_FIELDS:
        return local_time_text(value)
    if isinstance(value, dict):
        parts = []
        for key, item in value.items():
            if item in (None, "", False):
                continue
            label = _KEY_LABELS.get(key, key)
            parts.append(f"{label}: {'✓' if item is True else item}")
        return ", ".join(parts) or "—"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    return str(value)


@dataclass
class StatusStory:
    """An order's status told in two parts: what omnioms holds (and who set it, when a person
    or a job moved it on since the channel's last report) and what the channel last said."""

    status: str
    """The unified status omnioms holds, as a label."""
    set_by: str = ""
    set_at: datetime | None = None
    """Who moved the order to ``status`` in omnioms, and when; empty when the channel did."""
    channel_status: str = ""
    """The unified status of the channel's last report, as a label; empty when unknown."""
    raw_status: str = ""
    """The channel's own word for it (``待发货``)."""
    differs: bool = False


def status_story(order: Order, events: list[OrderEvent]) -> StatusStory:
    """The order page's header line. ``events`` are the order's, oldest first."""
    story = StatusStory(
        status=status_label(order.status),
        channel_status=status_label(order.channel_status) if order.channel_status else "",
        raw_status=order.raw_status,
        differs=bool(order.channel_status) and order.channel_status != order.status,
    )
    if not story.differs:
        return story
    for event in reversed(events):
        data = event.data if isinstance(event.data, dict) else {}
        if event.kind == OrderEventKind.STATUS_CHANGED and data.get("to") == order.status:
            story.set_by, story.set_at = event.actor_label, event.at
            break
    return story


@dataclass(frozen=True)
class Change:
    label: str
    old: str
    new: str


@dataclass
class TimelineEntry:
    at: datetime
    actor: str
    actor_kind: str
    kind: str
    kind_label: str
    status_from: str = ""
    status_to: str = ""
    changes: list[Change] = field(default_factory=list)
    text: str = ""
    details: list[Change] = field(default_factory=list)
    """Other facts worth a line (``reason``, a stale version's time and status); old is empty."""
    payload_id: int | None = None


def timeline_entry(event: OrderEvent) -> TimelineEntry:
    data: dict[str, Any] = event.data if isinstance(event.data, dict) else {}
    kind_label = (
        str(OrderEventKind(event.kind).label) if event.kind in OrderEventKind.values else event.kind
    )
    entry = TimelineEntry(
        at=event.at,
        actor=event.actor_label,
        actor_kind=event.actor_kind,
        kind=event.kind,
        kind_label=kind_label,
        text=str(data.get("text") or ""),
        payload_id=data.get("payload") if isinstance(data.get("payload"), int) else None,
    )
    if event.kind == OrderEventKind.STATUS_CHANGED:
        entry.status_from = status_label(data.get("from"))
        entry.status_to = status_label(data.get("to"))
    changes = data.get("changes")
    if isinstance(changes, dict):
        for name, pair in changes.items():
            old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
            entry.changes.append(
                Change(
                    capfirst(str(_FIELD_LABELS.get(name, name))),
                    value_text(name, old),
                    value_text(name, new),
                )
            )
    if event.kind == OrderEventKind.CREATED and data.get("status"):
        entry.details.append(Change(capfirst(str(_("status"))), "", status_label(data["status"])))
    if event.kind == OrderEventKind.STALE_IGNORED:
        if data.get("channel_updated_at"):
            entry.details.append(
                Change(
                    capfirst(str(_("updated on channel"))),
                    "",
                    local_time_text(data["channel_updated_at"]),
                )
            )
        if data.get("status"):
            entry.details.append(
                Change(capfirst(str(_("status"))), "", status_label(data["status"]))
            )
    if data.get("reason"):
        entry.details.append(Change(capfirst(str(_("reason"))), "", str(data["reason"])))
    if event.kind == OrderEventKind.NOTE:
        entry.text = _shipping_text(data) or entry.text
    if event.kind == OrderEventKind.ACTION:
        _action_details(entry, data)
    if event.kind == OrderEventKind.CONFLICT:
        entry.text = str(
            _(
                "The channel reported %(reported)s while the order was at %(stage)s here: "
                "kept as it was, for a person to decide."
            )
            % {"reported": status_label(data.get("reported")), "stage": data.get("stage", "")}
        )
    if data.get("stage_to"):
        entry.details.append(
            Change(
                capfirst(str(_("stage"))), str(data.get("stage_from") or ""), str(data["stage_to"])
            )
        )
    return entry


def _action_details(entry: TimelineEntry, data: dict[str, Any]) -> None:
    """An action a person took: its label, what they filled in, what its effects said."""
    label = data.get("label") or data.get("action") or ""
    notes = [str(note) for note in data.get("notes") or []]
    entry.text = " ".join([str(_(str(label))), *notes]).strip()
    fields = data.get("fields")
    if isinstance(fields, dict):
        for name, value in fields.items():
            if name == "address":
                continue  # shown as the change of the address
            if isinstance(value, list):
                value = ", ".join(f"{line} × {units}" for line, units in value)
            spec = FIELDS.get(name)
            title = spec.label if spec is not None else _FIELD_LABELS.get(name, name)
            entry.details.append(Change(capfirst(str(title)), "", str(value)))
    if isinstance(data.get("split_to"), list):
        entry.details.append(Change(capfirst(str(_("new order"))), "", str(data["split_to"][1])))


def _shipping_text(data: dict[str, Any]) -> str:
    """A shipment note (sync/outbound.py) in the reader's language, from its data; the
    stored ``text`` is in the language of whoever wrote it."""
    shipment, outbound = data.get("shipment"), data.get("outbound")
    if isinstance(shipment, dict) and shipment.get("tracking_number"):
        return str(
            _("Shipped with %(carrier)s, tracking number %(tracking)s.")
            % {"carrier": shipment.get("carrier", ""), "tracking": shipment["tracking_number"]}
        )
    if not isinstance(outbound, dict):
        return ""
    values = {
        "account": data.get("account", ""),
        "tracking": data.get("tracking_number", ""),
        "error": outbound.get("error", ""),
    }
    state = str(outbound.get("state", ""))
    if state not in ("sent", "failed"):
        return ""
    return outbound_message(str(outbound.get("kind") or "mark_shipped"), state) % values
