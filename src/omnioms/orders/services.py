"""Use cases on orders: the idempotent upsert from channels, and status changes.

These are the only code that changes an order's status: a channel's report through
:func:`upsert_orders` (webhooks, pulls, imports, staff entry), a person or a job through
:func:`change_order_status` and :func:`ship_order`. Each ends, in its transaction, by running
the effects other apps subscribe to (:mod:`omnioms.orders.effects`: stock, the outbound
command to the platform, ...). ``upsert_orders`` is called by the intake inside the intake's
transaction; the use cases at the bottom own theirs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import ChannelSkuMapping, Sku
from omnioms.channels.contract import Component, NormalizedOrder, content_hash_of
from omnioms.channels.models import ChannelAccount, InboundPayload, PayloadOutcome
from omnioms.core.actor import Actor
from omnioms.core.bulk import JsonText, bulk_insert, bulk_set, new_rows
from omnioms.core.choices import OrderStatus
from omnioms.customers.services import resolve_customers
from omnioms.orders.domain import (
    Shipment,
    VersionKey,
    changes_between,
    shipped_status,
    snapshot_key,
    supersedes,
    version_key,
)
from omnioms.orders.effects import OrderChange, run_effects
from omnioms.orders.flows import TransitionNotAllowed, check_transition
from omnioms.orders.models import (
    Order,
    OrderEvent,
    OrderEventKind,
    OrderLine,
    OrderLineComponent,
)
from omnioms.orders.stages import Placement, placement


@dataclass
class Incoming:
    """A payload and the order it normalised to.

    The payload may be unsaved: :func:`upsert_orders` then inserts it, with its outcome and
    order, in one bulk statement (file imports); a saved one (webhooks) is updated.
    """

    payload: InboundPayload
    order: NormalizedOrder
    digest: str | None = None
    """Its :func:`~omnioms.channels.contract.content_hash` when the caller has it already."""
    contract_json: str | None = None
    """Its ``model_dump_json()`` (what ``digest`` hashes) when the caller has it already."""


_new_order = new_rows(Order)
_new_line = new_rows(OrderLine)
_new_component = new_rows(OrderLineComponent)
_new_event = new_rows(OrderEvent)


@dataclass
class _PendingEvent:
    order: Order
    kind: str
    data: dict[str, Any]
    payload: InboundPayload

    def materialise(self, actor: Actor, at: Any) -> OrderEvent:
        """The event row, once the order and the payload have ids."""
        event: OrderEvent = _new_event(
            order_id=self.order.pk,
            at=at,
            kind=self.kind,
            actor_kind=actor.kind,
            actor_label=actor.label,
            actor_user_id=actor.user_id,
            data={**self.data, "payload": self.payload.pk},
        )
        return event


@dataclass
class _State:
    order: Order
    stored: dict[str, Any] | str
    """The version the order holds, as stored: a dict, or the contract JSON text of a version
    written by this upsert (parsed only if another version of the order follows in the batch)."""
    key: VersionKey
    is_new: bool
    received: datetime | None
    """When omnioms received the version the order holds (``supersedes``)."""
    written: NormalizedOrder | None = None
    """The version this upsert writes, when it writes one."""
    dirty: bool = False
    lines_changed: bool = False
    buyer_changed: bool = False
    previous_status: str = ""
    """The status before this upsert (an existing order's)."""

    def snapshot(self) -> dict[str, Any]:
        stored = self.stored
        if isinstance(stored, str):
            stored = self.stored = json.loads(stored)
        return stored


def upsert_orders(
    account: ChannelAccount, incoming: Sequence[Incoming], *, actor: Actor
) -> list[str]:
    """Write each incoming version unless a newer one is already stored; return each outcome.

    One order per (account, external id). A version newer by the platform's update time (see
    :func:`omnioms.orders.domain.snapshot_key`) replaces the stored one and writes an event with
    what changed; an identical repeat is ``unchanged``; an older one is ``stale`` and recorded on
    the order's timeline. Deliveries may come in any order: the result is the same (for
    orders that carry neither an update time nor a revision, the later arrival wins:
    :func:`omnioms.orders.domain.supersedes`).

    Call inside a transaction. Rows of existing orders are locked (``SELECT ... FOR UPDATE`` on
    PostgreSQL; SQLite's IMMEDIATE transaction already holds the write lock).
    """
    external_ids = {item.order.external_id for item in incoming}
    flow = placement(account)
    states: dict[str, _State] = {}
    for order in Order.objects.select_for_update().filter(
        account=account, external_id__in=external_ids
    ):
        states[order.external_id] = _State(
            order=order,
            stored=order.normalized,
            key=snapshot_key(order.normalized, order.content_hash),
            is_new=False,
            received=order.version_received_at,
            previous_status=order.status,
        )

    # Events wait until the orders have ids; status events come ready-made from _set_status.
    # All share one time, so the timeline keeps their insert order (update, then status).
    now = timezone.now()
    events: list[OrderEvent | _PendingEvent] = []
    outcomes: list[str] = []
    payload_orders: list[tuple[InboundPayload, Order]] = []
    for item in incoming:
        # The contract JSON is stored as it is, not parsed and written out again.
        text = item.contract_json or item.order.model_dump_json()
        digest = item.digest or content_hash_of(text)
        key = version_key(item.order, digest)
        received = item.payload.received_at
        state = states.get(item.order.external_id)
        if state is None:
            order = _new_order(
                account_id=account.pk,
                channel=account.platform,
                location_id=account.location_id,
                ingested_at=now,
            )
            _write_fields(order, item.order, JsonText(text), digest, now, received)
            order.status = item.order.status
            flow.place(order)
            state = states[item.order.external_id] = _State(
                order=order,
                stored=text,
                key=key,
                is_new=True,
                received=received,
                written=item.order,
                dirty=True,
                lines_changed=True,
                buyer_changed=True,
            )
            events.append(
                _PendingEvent(order, OrderEventKind.CREATED, {"status": order.status}, item.payload)
            )
            outcomes.append(PayloadOutcome.CREATED)
        elif supersedes(key, state.key, incoming_received=received, stored_received=state.received):
            snapshot = json.loads(text)
            changes = changes_between(state.snapshot(), snapshot)
            state.lines_changed |= "lines" in changes
            state.buyer_changed |= "buyer" in changes or "ship_to" in changes
            # A new row is inserted by bulk_insert, which writes JsonText as it is; an existing
            # one goes through bulk_update, which needs the value.
            stored = JsonText(text) if state.is_new else snapshot
            previous_report = state.order.channel_status
            _write_fields(state.order, item.order, stored, digest, now, received)
            events.append(
                _PendingEvent(
                    state.order, OrderEventKind.UPDATED, {"changes": changes}, item.payload
                )
            )
            for stage_event in _follow_channel(
                state.order, item.order.status, previous_report, flow, actor=actor
            ):
                stage_event.at = now
                events.append(stage_event)
            state.stored, state.key, state.written, state.dirty = snapshot, key, item.order, True
            state.received = received
            outcomes.append(PayloadOutcome.UPDATED)
        elif digest == state.key[3]:
            outcomes.append(PayloadOutcome.UNCHANGED)
        else:
            snapshot = json.loads(text)
            stale = {"channel_updated_at": snapshot.get("updated_at"), "status": snapshot["status"]}
            events.append(
                _PendingEvent(state.order, OrderEventKind.STALE_IGNORED, stale, item.payload)
            )
            outcomes.append(PayloadOutcome.STALE)
        item.payload.outcome = outcomes[-1]
        payload_orders.append((item.payload, state.order))

    _save(account, [s for s in states.values() if s.dirty])
    for payload, order in payload_orders:
        payload.order_id = order.pk
    # A payload carrying several orders appears once per order: write each row once.
    payloads = list({id(item.payload): item.payload for item in incoming}.values())
    fresh = [payload for payload in payloads if payload.pk is None]
    stored = [payload for payload in payloads if payload.pk is not None]
    bulk_insert(fresh)
    bulk_set(stored, ["outcome", "order"])
    bulk_insert(
        [e if isinstance(e, OrderEvent) else e.materialise(actor, now) for e in events],
        returning_ids=False,
    )
    run_effects(
        [
            OrderChange(
                order=s.order,
                previous_status=None if s.is_new else s.previous_status,
                from_channel=True,
                lines_changed=s.lines_changed,
            )
            for s in states.values()
            if s.dirty
        ],
        actor=actor,
    )
    return outcomes


def _write_fields(
    order: Order,
    normalized: NormalizedOrder,
    snapshot: dict[str, Any] | JsonText,
    digest: str,
    now: datetime,
    received: datetime | None,
) -> None:
    """Copy everything but the status, which only :func:`_set_status` changes; what the channel
    reported is kept apart as ``channel_status``."""
    order.external_id = normalized.external_id
    order.raw_status = normalized.raw_status or ""
    order.channel_status = normalized.status
    order.currency = normalized.currency
    order.placed_at = normalized.created_at or order.placed_at or now
    order.paid_at = normalized.paid_at
    order.source_updated_at = normalized.updated_at
    order.source_version = normalized.version
    order.normalized = snapshot
    order.content_hash = digest
    order.buyer_name = (normalized.buyer.name or "")[:200]
    order.buyer_email = (normalized.buyer.email or "").strip().lower()  # searched lower-case
    order.buyer_phone = normalized.buyer.phone or ""
    order.channel_buyer_id = normalized.buyer.channel_buyer_id or ""
    order.ship_to = normalized.ship_to.model_dump(mode="json") if normalized.ship_to else None
    order.shipping = normalized.shipping
    order.discount = normalized.discount
    order.tax = normalized.tax
    order.taxes_included = normalized.taxes_included
    order.total = normalized.total
    order.total_difference = normalized.total_mismatch()
    order.notes_buyer = normalized.notes.buyer or ""
    order.notes_seller = normalized.notes.seller or ""
    order.modified_at = now
    order.version_received_at = received


_UPDATED_FIELDS = [
    "external_id",
    "status",
    "stage",
    "flow_version",
    "conflict",
    "raw_status",
    "channel_status",
    "currency",
    "placed_at",
    "paid_at",
    "source_updated_at",
    "source_version",
    "normalized",
    "content_hash",
    "customer",
    "buyer_name",
    "buyer_email",
    "buyer_phone",
    "channel_buyer_id",
    "ship_to",
    "shipping",
    "discount",
    "tax",
    "taxes_included",
    "total",
    "total_difference",
    "notes_buyer",
    "notes_seller",
    "modified_at",
    "version_received_at",
]


def _save(account: ChannelAccount, states: list[_State]) -> None:
    # Every dirty state carries the version it writes (a new order, or a newer version).
    needs_customer = [(s, s.written) for s in states if s.buyer_changed and s.written]
    match = resolve_customers(
        account.platform, [(written.buyer, written.ship_to) for _state, written in needs_customer]
    )
    for (state, _written), customer in zip(needs_customer, match.ids, strict=True):
        state.order.customer_id = customer
    for survivor, merged in match.merged.items():
        Order.objects.filter(customer_id__in=merged).update(customer_id=survivor)

    bulk_insert([s.order for s in states if s.is_new])
    Order.objects.bulk_update([s.order for s in states if not s.is_new], _UPDATED_FIELDS)

    # Lines come from the version being written (Decimals as they are, not the JSON text).
    rewrite = [(s, s.written) for s in states if s.lines_changed and s.written]
    rewritten = [s.order for s, _ in rewrite if not s.is_new]
    tallies = _staff_tallies(rewritten)
    OrderLine.objects.filter(order__in=rewritten).delete()
    skus = _sku_lookup(account, _sku_codes(written for _, written in rewrite))
    lines: list[OrderLine] = []
    parts: list[tuple[OrderLine, Component]] = []
    for state, written in rewrite:
        for position, line in enumerate(written.lines, start=1):
            row = _new_line(
                order_id=state.order.pk,
                position=position,
                external_line_id=line.external_line_id or "",
                sku_code=line.sku or "",
                sku_id=skus.get(line.sku or ""),
                title=line.title[:500],
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                total=line.total,
                is_gift=line.is_gift,
                refunded_quantity=line.refunded_quantity,
            )
            kept = tallies.get((state.order.pk, line_key(row)))
            if kept is not None:
                row.shipped_quantity = min(kept[0], line.quantity)
                row.returned_quantity = min(kept[1], line.quantity)
                row.refunded_quantity = max(line.refunded_quantity, min(kept[2], line.quantity))
            lines.append(row)
            parts.extend((row, component) for component in line.components)
    bulk_insert(lines, returning_ids=bool(parts))
    components = [
        _new_component(line_id=row.pk, sku_code=c.sku, sku_id=skus.get(c.sku), quantity=c.quantity)
        for row, c in parts
    ]
    bulk_insert(components, returning_ids=False)


def line_key(line: OrderLine) -> str:
    """How people and the API name a line: the channel's line id, else ``#`` and its position
    (staff entry and store exports send no line ids)."""
    return line.external_line_id or f"#{line.position}"


def _staff_tallies(orders: list[Order]) -> dict[tuple[int, str], tuple[int, int, int]]:
    """What staff recorded per line (shipped, returned, refunded units), to keep when the
    channel's new version rewrites the lines: the channel's report does not undo a shipment."""
    if not orders:
        return {}
    rows = OrderLine.objects.filter(order__in=orders).filter(
        Q(shipped_quantity__gt=0) | Q(returned_quantity__gt=0) | Q(refunded_quantity__gt=0)
    )
    return {
        (row.order_id, line_key(row)): (
            row.shipped_quantity,
            row.returned_quantity,
            row.refunded_quantity,
        )
        for row in rows.only(
            "order_id",
            "external_line_id",
            "position",
            "shipped_quantity",
            "returned_quantity",
            "refunded_quantity",
        )
    }


def _sku_codes(orders: Iterable[NormalizedOrder]) -> set[str]:
    codes: set[str] = set()
    for order in orders:
        for line in order.lines:
            if line.sku:
                codes.add(line.sku)
            codes.update(c.sku for c in line.components)
    return codes


def _sku_lookup(account: ChannelAccount, codes: set[str]) -> dict[str, int]:
    """Our SKU id for each code the channel sent: the account's mapping first, then our code."""
    if not codes:
        return {}
    ours = (
        Sku.objects.filter(code__in=codes)
        .order_by()
        .annotate(rank=Value(0))
        .values_list("code", "pk", "rank")
    )
    mapped = (
        ChannelSkuMapping.objects.filter(account=account, external_sku__in=codes)
        .order_by()
        .annotate(rank=Value(1))
        .values_list("external_sku", "sku_id", "rank")
    )
    # One round trip; a mapping (rank 1) overrides a SKU that happens to share the code.
    rows = sorted(ours.union(mapped, all=True), key=lambda row: row[2])
    return {code: sku_id for code, sku_id, _rank in rows}


def _event(
    order: Order,
    kind: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
) -> OrderEvent:
    return OrderEvent(
        order=order,
        kind=kind,
        actor_kind=actor.kind,
        actor_label=actor.label,
        actor_user_id=actor.user_id,
        data=dict(data or {}),
    )


def _set_status(
    order: Order,
    target: str,
    *,
    actor: Actor,
    from_channel: bool,
    reason: str = "",
    checked: bool = False,
) -> OrderEvent | None:
    """Move ``order`` to ``target``; return the unsaved event, or None if no change.

    ``checked``: the order's flow already allowed the move
    (:func:`omnioms.orders.moves.apply_move`), so the status graph of
    :mod:`omnioms.orders.flows` is not asked. Private on purpose: the use cases of this module
    and of :mod:`omnioms.orders.moves` are the only callers, so that the effects of a change
    (:mod:`omnioms.orders.effects`) always follow it.
    """
    if order.status == target:
        return None
    if not checked:
        check_transition(order.status, target, from_channel=from_channel)
    data = {"from": order.status, "to": target}
    if reason:
        data["reason"] = reason
    event = _event(order, OrderEventKind.STATUS_CHANGED, actor, data=data)
    order.status = target
    order.modified_at = timezone.now()
    return event


def _follow_channel(
    order: Order, reported: str, previous_report: str, flow: Placement, *, actor: Actor
) -> list[OrderEvent]:
    """The channel reports ``reported``: the order's stage follows by its flow's rule, or the
    contradiction is recorded for a person (``Order.conflict``), never overwritten."""
    if not order.stage:
        flow.place(order)
    follow = flow.follow(order, reported, previous_report)
    if follow.conflict:
        details = {"reported": reported, "stage": order.stage, "status": order.status}
        order.conflict = {**details, "at": timezone.now().isoformat()}
        return [_event(order, OrderEventKind.CONFLICT, actor, data=details)]
    if follow.ignored:
        return []
    stage_from = order.stage
    order.stage = follow.stage
    event = _set_status(order, follow.status, actor=actor, from_channel=True)
    if event is not None and order.source_updated_at is not None:
        # when the channel says it happened (a shipment seen only as a status: on-time delivery
        # counts from this, not from when omnioms heard of it)
        event.data["channel_at"] = order.source_updated_at.isoformat()
    if stage_from != follow.stage:
        stages = {"stage_from": stage_from, "stage_to": follow.stage}
        if event is None:
            event = _event(order, OrderEventKind.STAGE_FOLLOWED, actor, data=stages)
        else:
            event.data.update(stages)
    return [event] if event is not None else []


def change_order_status(
    order_id: int,
    target: str,
    *,
    actor: Actor,
    reason: str = "",
    shipment: Shipment | None = None,
) -> OrderChange:
    """A person or a job moves an order along its flow (raises ``TransitionNotAllowed``).

    With a ``shipment``, the order may also stay where it is (a further tracking number for an
    order already shipped); the shipment is written on the timeline and the effects see it.
    The order's stage becomes its flow's stage for ``target``.
    """
    with transaction.atomic():
        order = _locked_order(order_id)
        return _change(order, target, actor=actor, reason=reason, shipment=shipment)


def ship_order(
    order_id: int, shipment: Shipment, *, actor: Actor, again: bool = True
) -> OrderChange:
    """Record that an order (or some of its lines) shipped; the status follows.

    Shipped whole, or partially shipped when units stay behind after this and earlier
    shipments (``OrderLine.shipped_quantity`` adds them up). An order already shipped takes a
    further tracking number unless ``again`` is false (a second click on a stale page must not
    record a second shipment). Raises ``TransitionNotAllowed`` when the order's status does not
    allow it and ``ShipmentError`` naming a bad field.
    """
    with transaction.atomic():
        order = _locked_order(order_id)
        if not again and order.status == OrderStatus.SHIPPED:
            raise TransitionNotAllowed(order.status, OrderStatus.SHIPPED)
        lines = list(order.lines.all())
        target, changed = _shipment_target(order, lines, shipment)
        if changed:
            OrderLine.objects.bulk_update(changed, ["shipped_quantity"])
        return _change(order, target, actor=actor, shipment=shipment)


def _shipment_target(
    order: Order, lines: list[OrderLine], shipment: Shipment
) -> tuple[str, list[OrderLine]]:
    """The status ``shipment`` moves ``order`` to (checked against the status graph), and the
    lines whose shipped units it adds to (changed in memory, not saved). An order already
    shipped takes a further tracking number: nothing is left to count."""
    if order.status == OrderStatus.SHIPPED:
        ordered = {line_key(line): line.quantity for line in lines}
        return shipped_status(order.status, ordered, shipment), []
    left = {
        line_key(line): max(0, line.quantity - line.refunded_quantity - line.shipped_quantity)
        for line in lines
    }
    target = shipped_status(order.status, left, shipment)
    check_transition(order.status, target, from_channel=False)
    units = shipment_units(shipment, left)
    changed = []
    for line in lines:
        more = units.get(line_key(line), 0)
        if more:
            line.shipped_quantity = min(line.quantity, line.shipped_quantity + more)
            changed.append(line)
    return target, changed


def shipment_units(shipment: Shipment, left: dict[str, int]) -> dict[str, int]:
    """Units per line ``shipment`` takes: its lines, or everything left when it names none."""
    if not shipment.lines:
        return {key: units for key, units in left.items() if units > 0}
    units: dict[str, int] = {}
    for line in shipment.lines:
        units[line.external_line_id] = units.get(line.external_line_id, 0) + line.quantity
    return units


def _locked_order(order_id: int) -> Order:
    """The order, its row locked until the commit, with its account read but not locked.

    ``of=("self",)``: on PostgreSQL a plain ``FOR UPDATE`` over the join would lock the channel
    account's row too, and every other transaction's deferred foreign-key check on that account
    (taken at its COMMIT, after its stock rows) would then wait on it: a deadlock with a change
    that waits on those stock rows. Found by the eight-process race.
    """
    return Order.objects.select_for_update(of=("self",)).select_related("account").get(pk=order_id)


def _change(
    order: Order,
    target: str,
    *,
    actor: Actor,
    reason: str = "",
    shipment: Shipment | None = None,
) -> OrderChange:
    """Change a locked order as a person or job asked, write its events, run the effects."""
    previous, previous_stage = order.status, order.stage
    events: list[OrderEvent] = []
    status_event = _set_status(order, target, actor=actor, from_channel=False, reason=reason)
    if status_event is not None:
        order.stage = placement(order.account).stage_for_status(order, target)
        if order.stage != previous_stage:
            status_event.data.update({"stage_from": previous_stage, "stage_to": order.stage})
        order.save(update_fields=["status", "stage", "modified_at"])
        events.append(status_event)
    if shipment is not None:
        events.append(_shipment_note(order, shipment, actor))
    for event in events:
        event.save()
    change = OrderChange(
        order=order,
        previous_status=previous,
        previous_stage=previous_stage,
        from_channel=False,
        shipment=shipment,
        events=events,
    )
    if events:
        run_effects([change], actor=actor)
    return change


def _shipment_note(order: Order, shipment: Shipment, actor: Actor) -> OrderEvent:
    text = _("Shipped with %(carrier)s, tracking number %(tracking)s.") % {
        "carrier": shipment.carrier,
        "tracking": shipment.tracking_number,
    }
    data = {"text": text, "shipment": shipment.details(), "command": None}
    return _event(order, OrderEventKind.NOTE, actor, data=data)


def add_order_note(order_id: int, text: str, *, actor: Actor) -> OrderEvent:
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order_id)
        event = _event(order, OrderEventKind.NOTE, actor, data={"text": text})
        event.save()
    return event


def ship_orders(shipments: Sequence[tuple[int, Shipment]], *, actor: Actor) -> list[OrderChange]:
    """Record many shipments in one transaction, with the effects of :func:`ship_order` for
    each (a warehouse's day of parcels, the simulated company's day).

    Every order is locked (in id order, so two batches cannot deadlock) and every status move
    checked before anything is written: one order that may not ship (``TransitionNotAllowed``)
    leaves the whole batch unwritten. The lines' shipped quantities, the statuses and the
    timeline rows are written in a few set statements, and the effects run once for all the
    changes. An order named twice takes both shipments in turn, as two calls would.
    """
    if not shipments:
        return []
    with transaction.atomic():
        ids = sorted({order_id for order_id, _shipment in shipments})
        orders = {
            o.pk: o
            for o in Order.objects.select_for_update(of=("self",))
            .select_related("account")
            .filter(pk__in=ids)
            .order_by("pk")
        }
        missing = [order_id for order_id in ids if order_id not in orders]
        if missing:
            raise Order.DoesNotExist(f"order: no order {missing[0]}")
        lines: dict[int, list[OrderLine]] = {order_id: [] for order_id in ids}
        for line in OrderLine.objects.filter(order_id__in=ids).order_by("pk"):
            lines[line.order_id].append(line)
        placements: dict[int, Placement] = {}
        changes: list[OrderChange] = []
        changed_lines: dict[int, OrderLine] = {}
        changed_orders: dict[int, Order] = {}
        events: list[OrderEvent] = []
        for order_id, shipment in shipments:
            order = orders[order_id]
            order_lines = lines[order_id]
            previous, previous_stage = order.status, order.stage
            target, changed = _shipment_target(order, order_lines, shipment)
            changed_lines.update((line.pk, line) for line in changed)
            order_events: list[OrderEvent] = []
            status_event = _set_status(order, target, actor=actor, from_channel=False)
            if status_event is not None:
                flow = placements.get(order.account_id)
                if flow is None:
                    flow = placements[order.account_id] = placement(order.account)
                order.stage = flow.stage_for_status(order, target)
                if order.stage != previous_stage:
                    status_event.data.update(
                        {"stage_from": previous_stage, "stage_to": order.stage}
                    )
                changed_orders[order.pk] = order
                order_events.append(status_event)
            order_events.append(_shipment_note(order, shipment, actor))
            events.extend(order_events)
            changes.append(
                OrderChange(
                    order=order,
                    previous_status=previous,
                    previous_stage=previous_stage,
                    from_channel=False,
                    shipment=shipment,
                    events=order_events,
                )
            )
        # set statements (QuerySet.bulk_update's CASE per row cost most of a batch)
        bulk_set(list(changed_lines.values()), ["shipped_quantity"])
        bulk_set(list(changed_orders.values()), ["status", "stage", "modified_at"])
        bulk_insert(events)
        run_effects(changes, actor=actor)
    return changes
