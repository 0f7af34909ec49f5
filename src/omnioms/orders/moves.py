"""A flow's actions and a new flow version, written to orders: the same one path as
:mod:`omnioms.orders.services` (whose helpers these use), kept apart for size.

:func:`apply_move` is how a person's action (``omnioms.flows.services.take_action``) changes
an order: the flows app decides the :class:`Move` under the order's lock, this module writes
it and runs every effect. :func:`move_orders_to_version` moves open orders to a newly
published flow version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from omnioms.core.actor import Actor
from omnioms.core.bulk import bulk_insert, new_rows
from omnioms.core.money import AMOUNT_PLACES
from omnioms.orders.domain import Shipment
from omnioms.orders.effects import OrderChange, run_effects
from omnioms.orders.models import Order, OrderEvent, OrderEventKind, OrderLine, OrderLineComponent
from omnioms.orders.services import (
    _event,
    _locked_order,
    _set_status,
    _shipment_note,
    line_key,
)

_new_event = new_rows(OrderEvent)


@dataclass
class Move:
    """What an action does to a locked order, as its flow decided (``apply_move``'s ``decide``).

    Line quantities are keyed by :func:`line_key` and are the units this action adds.
    """

    action: str
    stage: str | None = None
    """The stage the order moves to; None keeps it."""
    status: str | None = None
    """The unified status of that stage."""
    reason: str = ""
    shipment: Shipment | None = None
    shipped: dict[str, int] = field(default_factory=dict)
    refunded: dict[str, int] = field(default_factory=dict)
    returned: dict[str, int] = field(default_factory=dict)
    ship_to: dict[str, Any] | None = None
    """A new shipping address (``change_address``)."""
    clear_conflict: bool = False
    split_off: dict[str, int] = field(default_factory=dict)
    """Units per line that leave for a new order of their own."""
    data: dict[str, Any] = field(default_factory=dict)
    """What the action's timeline row says (label, fields, ``marks``)."""
    context: Any = None
    """Handed to the effects as ``OrderChange.action``."""


class StageMoved(Exception):
    """The order is no longer in the stage the person saw: nothing was changed."""

    def __init__(self, expected: str, current: str) -> None:
        self.expected, self.current = expected, current
        super().__init__(f"the order moved on from {expected!r} to {current!r}")


def apply_move(
    order_id: int,
    decide: Callable[[Order, list[OrderLine]], Move],
    *,
    actor: Actor,
    expected_stage: str | None = None,
    expected_version: int | None = None,
) -> list[OrderChange]:
    """Take a flow's action on an order: lock it, let ``decide`` check and shape the move
    against the locked row and its lines (raising to refuse: nothing is written), write it
    with its timeline rows and run every effect. Returns the change of the order (and of the
    order split off from it, if any).

    Raises :class:`StageMoved` when the order left ``expected_stage`` (or the flow version
    ``expected_version``) meanwhile.
    """
    with transaction.atomic():
        order = _locked_order(order_id)
        if (expected_stage is not None and order.stage != expected_stage) or (
            expected_version is not None and order.flow_version_id != expected_version
        ):
            raise StageMoved(expected_stage or "", order.stage)
        lines = list(order.lines.all())
        move = decide(order, lines)
        return _apply(order, lines, move, actor)


def _apply(order: Order, lines: list[OrderLine], move: Move, actor: Actor) -> list[OrderChange]:
    previous, previous_stage = order.status, order.stage
    fields = {"modified_at"}
    order.modified_at = timezone.now()
    events: list[OrderEvent] = [
        _event(order, OrderEventKind.ACTION, actor, data={"action": move.action, **move.data})
    ]
    if move.stage is not None and move.stage != order.stage:
        order.stage = move.stage
        fields.add("stage")
        events[0].data.update({"stage_from": previous_stage, "stage_to": move.stage})
    if move.status is not None:
        status_event = _set_status(
            order, move.status, actor=actor, from_channel=False, reason=move.reason, checked=True
        )
        if status_event is not None:
            fields.add("status")
            events.append(status_event)
    if move.ship_to is not None:
        events[0].data["changes"] = {"ship_to": [order.ship_to, move.ship_to]}
        order.ship_to = move.ship_to
        fields.add("ship_to")
    if move.clear_conflict and order.conflict is not None:
        events[0].data["conflict"] = order.conflict
        order.conflict = None
        fields.add("conflict")
    lines_changed = _tally(lines, move)
    order.save(update_fields=sorted(fields))
    if move.shipment is not None:
        events.append(_shipment_note(order, move.shipment, actor))
    split = _split(order, lines, move.split_off, actor) if move.split_off else None
    if split is not None:
        events[0].data["split_to"] = [split.pk, split.external_id]
    for event in events:
        event.save()
    changes = [
        OrderChange(
            order=order,
            previous_status=previous,
            previous_stage=previous_stage,
            from_channel=False,
            lines_changed=lines_changed or split is not None,
            shipment=move.shipment,
            events=events,
            action=move.context,
        )
    ]
    if split is not None:
        changes.append(
            OrderChange(
                order=split,
                previous_status=None,
                previous_stage=None,
                from_channel=False,
                lines_changed=True,
            )
        )
    run_effects(changes, actor=actor)
    return changes


def _tally(lines: list[OrderLine], move: Move) -> bool:
    """Add the move's shipped, refunded and returned units to the lines; True if any."""
    changed: list[OrderLine] = []
    for line in lines:
        key = line_key(line)
        shipped, refunded = move.shipped.get(key, 0), move.refunded.get(key, 0)
        returned = move.returned.get(key, 0)
        if shipped or refunded or returned:
            line.shipped_quantity += shipped
            line.refunded_quantity += refunded
            line.returned_quantity += returned
            changed.append(line)
    if changed:
        OrderLine.objects.bulk_update(
            changed, ["shipped_quantity", "refunded_quantity", "returned_quantity"]
        )
    return bool(changed)


def _split(order: Order, lines: list[OrderLine], units: dict[str, int], actor: Actor) -> Order:
    """A new order of the same account with ``units`` of the lines; the original keeps the
    rest. It runs under the same flow version, in the same stage."""
    taken = Order.objects.filter(
        account_id=order.account_id, external_id__startswith=f"{order.external_id}~"
    ).count()
    child = Order.objects.get(pk=order.pk)
    child.pk = None
    child.external_id = f"{order.external_id}~{taken + 2}"[:100]
    child.conflict = None
    child.ingested_at = child.modified_at = timezone.now()
    child.save(force_insert=True)
    position = 0
    for line in lines:
        move = units.get(line_key(line), 0)
        if not move:
            continue
        position += 1
        share = Decimal(move) / Decimal(line.quantity)
        part = OrderLine(
            order=child,
            position=position,
            external_line_id=line.external_line_id,
            sku_code=line.sku_code,
            sku_id=line.sku_id,
            title=line.title,
            quantity=move,
            unit_price=line.unit_price,
            discount=(line.discount * share).quantize(_CENT),
            total=(line.total * share).quantize(_CENT),
            is_gift=line.is_gift,
        )
        part.save()
        for component in line.components.all():
            OrderLineComponent.objects.create(
                line=part,
                sku_code=component.sku_code,
                sku_id=component.sku_id,
                quantity=component.quantity,
            )
        if move == line.quantity:
            line.delete()
        else:
            line.quantity -= move
            line.discount -= part.discount
            line.total -= part.total
            line.save(update_fields=["quantity", "discount", "total"])
    data = {"split_from": [order.pk, order.external_id]}
    _event(child, OrderEventKind.CREATED, actor, data={"status": child.status, **data}).save()
    return child


_CENT = Decimal(1).scaleb(-AMOUNT_PLACES)


def move_orders_to_version(
    order_ids: Sequence[int],
    *,
    version_id: int,
    stages: dict[str, str],
    actor: Actor,
    details: dict[str, Any] | None = None,
) -> int:
    """Move open orders to a newly published flow version, each to the stage ``stages`` maps
    its stage to (the flows app checked that a mapped stage stands for the same status, so
    no order's status, and with it no stock, changes: there is no effect to run). One timeline
    row per order says so. Call inside the publishing transaction; returns how many moved."""
    now = timezone.now()
    rows = list(
        Order.objects.select_for_update()
        .filter(pk__in=order_ids)
        .values_list("pk", "stage", "flow_version_id")
    )
    by_stage: dict[str, list[int]] = {}
    for pk, stage, _version in rows:
        by_stage.setdefault(stage, []).append(pk)
    for stage, ids in by_stage.items():
        for start in range(0, len(ids), 500):
            Order.objects.filter(pk__in=ids[start : start + 500]).update(
                flow_version_id=version_id, stage=stages.get(stage, stage), modified_at=now
            )
    bulk_insert(
        [
            _new_event(
                order_id=pk,
                at=now,
                kind=OrderEventKind.FLOW_CHANGED,
                actor_kind=actor.kind,
                actor_label=actor.label,
                actor_user_id=actor.user_id,
                data={
                    **(details or {}),
                    "stage_from": stage,
                    "stage_to": stages.get(stage, stage),
                    "version_from": version,
                },
            )
            for pk, stage, version in rows
        ],
        returning_ids=False,
    )
    return len(rows)
