"""What each operation of :data:`omnioms.flows.registry.OPERATIONS` does to a locked order:
it checks the person's fields against the order's lines and returns the
:class:`~omnioms.orders.moves.Move` that ``orders.moves.apply_move`` writes.

An operation raises :class:`ActionRefused` (409: the order is not in a state for it) or
:class:`~omnioms.flows.fields.FieldErrors` (400: what was typed is wrong); nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.choices import OrderStatus
from omnioms.flows.definition import Definition, Transition
from omnioms.flows.fields import FieldErrors, LineUnits
from omnioms.orders.domain import ShipmentError, ShipmentLine, make_shipment
from omnioms.orders.models import Order, OrderLine
from omnioms.orders.moves import Move
from omnioms.orders.services import line_key


class ActionRefused(Exception):
    """The action may not be taken on the order as it is now (409); the message says why."""


Operation = Callable[[Order, list[OrderLine], Transition, dict[str, Any], Definition], Move]


def _move(t: Transition, definition: Definition, stage: str | None, **more: Any) -> Move:
    return Move(
        action=t.action,
        stage=stage,
        status=definition.status_of(stage) if stage else None,
        **more,
    )


def _units(
    lines: list[OrderLine],
    chosen: list[LineUnits] | None,
    room: Callable[[OrderLine], int],
    what: str,
) -> dict[str, int]:
    """Units per line key: those chosen (each within ``room``), or all the room there is."""
    by_key = {line_key(line): line for line in lines}
    if not chosen:
        units = {key: room(line) for key, line in by_key.items() if room(line) > 0}
        if not units:
            raise ActionRefused(_("no units are left to %(what)s") % {"what": what})
        return units
    units = {}
    for item in chosen:
        line = by_key.get(item.line)
        if line is None:
            raise FieldErrors({"lines": _("the order has no line %(line)s") % {"line": item.line}})
        if item.quantity > room(line):
            raise FieldErrors(
                {
                    "lines": _("line %(line)s has %(n)s units left to %(what)s")
                    % {"line": item.line, "n": room(line), "what": what}
                }
            )
        units[item.line] = item.quantity
    return units


def move(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    return _move(t, d, t.to, reason=fields.get("reason", ""))


def ship(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    units = _units(lines, fields.get("lines"), _left_to_ship, "ship")
    try:
        shipment = make_shipment(
            fields.get("carrier", ""),
            fields.get("tracking_number", ""),
            shipped_at=timezone.now(),
            lines=[ShipmentLine(key, n) for key, n in units.items()] if fields.get("lines") else (),
        )
    except ShipmentError as exc:
        raise FieldErrors({"": str(exc)}) from None
    whole = all(_left_to_ship(line) <= units.get(line_key(line), 0) for line in lines)
    stage = t.to if whole else (t.partial_to or None)
    return _move(t, d, stage, shipment=shipment, shipped=units)


def _left_to_ship(line: OrderLine) -> int:
    """Units neither shipped nor refunded."""
    return max(0, line.quantity - line.refunded_quantity - line.shipped_quantity)


def cancel(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    return _move(t, d, t.to, reason=fields.get("reason", ""))


def change_address(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    return _move(t, d, t.to, ship_to=fields["address"], reason=fields.get("reason", ""))


def split(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    if not fields.get("lines"):
        raise FieldErrors({"lines": _("name the lines and units that go to the new order")})
    units = _units(lines, fields["lines"], lambda line: line.quantity, "split off")
    if sum(units.values()) >= sum(line.quantity for line in lines):
        raise FieldErrors({"lines": _("something must stay on this order")})
    return _move(t, d, t.to, split_off=units, reason=fields.get("reason", ""))


def refund(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    units = _units(
        lines, fields.get("lines"), lambda line: line.quantity - line.refunded_quantity, "refund"
    )
    whole = all(
        line.refunded_quantity + units.get(line_key(line), 0) >= line.quantity for line in lines
    )
    stage = t.to if whole else (t.partial_to or None)
    return _move(t, d, stage, refunded=units, reason=fields.get("reason", ""))


def receive_return(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    gone = order.status in (OrderStatus.SHIPPED, OrderStatus.COMPLETED, OrderStatus.REFUNDED)

    def out(line: OrderLine) -> int:
        """Units that left: as staff counted them, else (shipped by the channel's word) all
        that were not refunded before."""
        shipped = line.shipped_quantity or (line.quantity - line.refunded_quantity if gone else 0)
        return max(0, shipped - line.returned_quantity)

    units = _units(lines, fields.get("lines"), out, "return")
    return _move(t, d, t.to, returned=units, reason=fields.get("reason", ""))


def resolve_conflict(
    order: Order, lines: list[OrderLine], t: Transition, fields: dict[str, Any], d: Definition
) -> Move:
    conflict = order.conflict or {}
    if not conflict:
        raise ActionRefused(_("there is no conflict to resolve"))
    stage = t.to
    if fields.get("resolution") == "channel":
        stage = d.stage_for_status(str(conflict.get("reported", ""))) or stage
    return _move(t, d, stage, clear_conflict=True, reason=fields.get("note", ""))


OPERATIONS: dict[str, Operation] = {
    "move": move,
    "ship": ship,
    "cancel": cancel,
    "change_address": change_address,
    "split": split,
    "refund": refund,
    "return": receive_return,
    "resolve_conflict": resolve_conflict,
}
