"""Material issued to production orders and returned, back-flushing, and finished goods.

Every movement goes through the stock ledger (:func:`omnioms.inventory.services.adjust_stock`
with the ``material_issue`` and ``production_output`` kinds), so stock, availability per
channel and backorders follow in the same transaction. Quantities are the ledger's steps of
the SKU's stock unit (centimetres of a fabric kept in metres with two decimals).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.catalog.models import Sku
from omnioms.core.actor import Actor
from omnioms.floor.domain import FloorError, standard_steps
from omnioms.floor.models import FinishedReceipt, MaterialKind, MaterialMovement, MaterialPolicy
from omnioms.inventory.limits import StockError
from omnioms.inventory.models import MovementKind, PlannedOutput, SupplyStatus
from omnioms.inventory.services import adjust_stock
from omnioms.planning.models import ProductionOrder, ProductionStatus
from omnioms.production.models import Bom, BomLine, VersionStatus


def scale(sku: Sku) -> Decimal:
    return Decimal(10) ** sku.unit_decimals


def bom_of(order: ProductionOrder) -> Bom | None:
    """The order's BOM, or the one in effect on its due date."""
    if order.bom_id:
        return order.bom
    return (
        Bom.objects.filter(
            sku_id=order.sku_id, status=VersionStatus.ACTIVE, effective_from__lte=order.due
        )
        .order_by("-effective_from", "-version")
        .first()
    )


def bom_lines(order: ProductionOrder) -> list[BomLine]:
    bom = bom_of(order)
    return list(bom.lines.select_related("component")) if bom else []


def issued_steps(order: ProductionOrder) -> dict[int, int]:
    """Net steps issued per material (issues and back-flushes less returns)."""
    return {
        sku_id: total
        for sku_id, total in MaterialMovement.objects.filter(production_order=order)
        .values_list("sku_id")
        .annotate(total=Sum("quantity"))
    }


def _locked_order(order_id: int) -> ProductionOrder:
    order = ProductionOrder.objects.select_for_update().filter(pk=order_id).first()
    if order is None:
        raise FloorError("production_order", _("no production order %(id)s") % {"id": order_id})
    return order


def _material(code: str | Sku) -> Sku:
    if isinstance(code, Sku):
        return code
    sku = Sku.objects.filter(code=code).first()
    if sku is None:
        raise FloorError("sku", _("unknown SKU %(code)r") % {"code": code})
    return sku


def _move(
    order: ProductionOrder,
    sku: Sku,
    steps: int,
    *,
    kind: str,
    report_id: str,
    actor: Actor,
    at: datetime | None,
) -> MaterialMovement:
    """Write the ledger movement (``steps`` > 0: taken from stock) and the floor's record."""
    reason = _("%(kind)s for %(order)s") % {"kind": MaterialKind(kind).label, "order": order.number}
    try:
        movement = adjust_stock(
            sku=sku,
            location=order.location,
            quantity_delta=-steps,
            reason=str(reason),
            actor=actor,
            kind=MovementKind.MATERIAL_ISSUE,
            reference=order.number,
            confirmed=True,
        )
    except StockError as exc:
        raise FloorError("quantity", str(exc), conflict=True) from None
    return MaterialMovement.objects.create(
        report_id=report_id,
        production_order=order,
        sku=sku,
        kind=kind,
        quantity=steps,
        unit_cost=sku.unit_cost or 0,
        stock_movement=movement,
        at=at or timezone.now(),
        actor_label=actor.label[:200],
    )


def _once(report_id: str, run: object) -> tuple[MaterialMovement, bool]:
    existing = MaterialMovement.objects.filter(report_id=report_id).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return run(), True  # type: ignore[operator]
    except IntegrityError:
        existing = MaterialMovement.objects.filter(report_id=report_id).first()
        if existing is None:
            raise
        return existing, False


def issue_material(
    order_id: int,
    *,
    sku: str | Sku,
    quantity: int,
    report_id: str,
    actor: Actor,
    at: datetime | None = None,
) -> tuple[MaterialMovement, bool]:
    """Issue ``quantity`` steps of a material to an open production order (once per id)."""
    if quantity <= 0:
        raise FloorError("quantity", _("must be a whole number above zero"))
    item = _material(sku)

    def run() -> MaterialMovement:
        order = _locked_order(order_id)
        if order.status in (ProductionStatus.CLOSED, ProductionStatus.CANCELLED):
            raise FloorError(
                "production_order",
                _("the order is %(s)s") % {"s": order.get_status_display()},
                conflict=True,
            )
        return _move(
            order, item, quantity, kind=MaterialKind.ISSUE, report_id=report_id, actor=actor, at=at
        )

    return _once(report_id, run)


def return_material(
    order_id: int,
    *,
    sku: str | Sku,
    quantity: int,
    report_id: str,
    actor: Actor,
    at: datetime | None = None,
) -> tuple[MaterialMovement, bool]:
    """Unused material back into stock; no more than the order holds of it."""
    if quantity <= 0:
        raise FloorError("quantity", _("must be a whole number above zero"))
    item = _material(sku)

    def run() -> MaterialMovement:
        order = _locked_order(order_id)
        held = issued_steps(order).get(item.pk, 0)
        if quantity > held:
            raise FloorError(
                "quantity",
                _("only %(held)s of %(sku)s were issued to %(order)s")
                % {"held": held, "sku": item.code, "order": order.number},
                conflict=True,
            )
        return _move(
            order,
            item,
            -quantity,
            kind=MaterialKind.RETURN,
            report_id=report_id,
            actor=actor,
            at=at,
        )

    return _once(report_id, run)


def backflush(order: ProductionOrder, *, good: int, actor: Actor, at: datetime) -> int:
    """Issue what the BOM allows for ``good`` units of every back-flushed material, less what
    was issued already (call inside the caller's transaction, the order locked)."""
    flushed = set(MaterialPolicy.objects.filter(backflush=True).values_list("sku_id", flat=True))
    issued = issued_steps(order)
    moved = 0
    for line in bom_lines(order):
        if line.component_id not in flushed:
            continue
        wanted = standard_steps(line.quantity_per, line.scrap_factor, good, scale(line.component))
        rest = wanted - issued.get(line.component_id, 0)
        if rest > 0:
            _move(
                order,
                line.component,
                rest,
                kind=MaterialKind.BACKFLUSH,
                report_id=f"backflush:{order.pk}:{line.component_id}",
                actor=actor,
                at=at,
            )
            moved += 1
    return moved


def receive_finished_goods(
    order: ProductionOrder, *, quantity: int, report_id: str, actor: Actor, at: datetime
) -> FinishedReceipt | None:
    """Finished units into stock at the order's location; its ``PlannedOutput`` shrinks by as
    much (done when nothing is left), so available-to-promise and the channels follow."""
    if quantity <= 0:
        return None
    try:
        movement = adjust_stock(
            sku=order.sku,
            location=order.location,
            quantity_delta=quantity,
            reason=str(_("finished goods of %(order)s") % {"order": order.number}),
            actor=actor,
            kind=MovementKind.PRODUCTION_OUTPUT,
            reference=order.number,
            confirmed=True,
        )
    except StockError as exc:
        raise FloorError("quantity", str(exc), conflict=True) from None
    if order.planned_output_id:
        planned = PlannedOutput.objects.select_for_update().get(pk=order.planned_output_id)
        left = planned.quantity - quantity
        if left > 0:
            planned.quantity = left
        else:
            planned.status = SupplyStatus.DONE
        planned.save(update_fields=["quantity", "status"])
    return FinishedReceipt.objects.create(
        report_id=report_id,
        production_order=order,
        quantity=quantity,
        stock_movement=movement,
        at=at,
        actor_label=actor.label[:200],
    )


def complete_order(order: ProductionOrder, *, good: int, actor: Actor, at: datetime) -> None:
    """The last operation finished: back-flush, receive the good units, mark it completed."""
    backflush(order, good=good, actor=actor, at=at)
    received = sum(r.quantity for r in order.floor_receipts.all())
    receive_finished_goods(
        order, quantity=good - received, report_id=f"complete:{order.pk}", actor=actor, at=at
    )
    if order.planned_output_id:
        PlannedOutput.objects.filter(pk=order.planned_output_id).update(status=SupplyStatus.DONE)
    order.status = ProductionStatus.COMPLETED
    order.save(update_fields=["status"])
