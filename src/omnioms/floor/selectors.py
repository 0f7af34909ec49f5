"""Read queries of the floor: a work centre's queue, a job by its ticket code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from omnioms.floor.models import OperationProgress
from omnioms.planning.models import (
    OperationStatus,
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionStatus,
)
from omnioms.production.models import WorkCenter


def ticket_code(order_number: str, sequence: int) -> str:
    """What a job ticket's QR code holds and a person types: ``MO-00012/20``."""
    return f"{order_number}/{sequence}"


@dataclass(frozen=True)
class Job:
    operation_id: int
    code: str
    order: str
    sku: str
    name: str
    sequence: int
    quantity: int
    status: str
    good: int
    scrap: int
    work_center: str
    machine: int
    planned_start: datetime | None
    planned_end: datetime | None


def _jobs(operations: list[ProductionOperation]) -> list[Job]:
    planned = {
        p.operation_id: p
        for p in PlannedOperation.objects.filter(
            operation__in=operations, plan__status=PlanStatus.PUBLISHED
        ).select_related("work_center")
    }
    jobs = []
    for op in operations:
        place = planned.get(op.pk)
        order = op.production_order
        jobs.append(
            Job(
                operation_id=op.pk,
                code=ticket_code(order.number, op.sequence),
                order=order.number,
                sku=order.sku.code,
                name=op.name,
                sequence=op.sequence,
                quantity=order.quantity,
                status=op.status,
                good=op.good,
                scrap=op.scrap,
                work_center=place.work_center.code if place else op.work_center.code,
                machine=place.machine if place else 0,
                planned_start=place.start if place else None,
                planned_end=place.end if place else None,
            )
        )
    return jobs


def work_center_queue(work_center: WorkCenter, *, limit: int = 50) -> list[Job]:
    """The jobs of a work centre not done yet: running and paused first, then by the
    published plan's start (those the plan places at this centre, or routed to it)."""
    planned_here = PlannedOperation.objects.filter(
        plan__status=PlanStatus.PUBLISHED, work_center=work_center
    ).values("operation_id")
    operations = list(
        ProductionOperation.objects.filter(
            Q(pk__in=planned_here) | Q(work_center=work_center, planned__isnull=True)
        )
        .exclude(status=OperationStatus.DONE)
        .exclude(production_order__status__in=[ProductionStatus.CLOSED, ProductionStatus.CANCELLED])
        .select_related("production_order__sku", "work_center")
        .distinct()[: limit * 2]
    )
    jobs = _jobs(operations)
    rank = {OperationStatus.RUNNING: 0, OperationStatus.PAUSED: 0}
    far = datetime.max.replace(tzinfo=None)
    jobs.sort(
        key=lambda j: (
            rank.get(j.status, 1),  # type: ignore[call-overload]
            (j.planned_start.replace(tzinfo=None) if j.planned_start else far),
            j.code,
        )
    )
    return jobs[:limit]


def job_by_code(code: str) -> Job | None:
    """The job a ticket code names (``MO-00012/20``), or an operation id (``op:123``)."""
    code = code.strip()
    operation = None
    if code.startswith("op:") and code[3:].isdigit():
        operation = ProductionOperation.objects.filter(pk=int(code[3:])).first()
    elif "/" in code:
        number, _, sequence = code.rpartition("/")
        if sequence.isdigit():
            operation = ProductionOperation.objects.filter(
                production_order__number=number, sequence=int(sequence)
            ).first()
    if operation is None:
        return None
    operation = ProductionOperation.objects.select_related(
        "production_order__sku", "work_center"
    ).get(pk=operation.pk)
    return _jobs([operation])[0]


def running_places(operation_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Where the floor has each started operation: (work centre id, machine), as reported.
    The planning holds started work there (``planning.adapter.register_running_places``)."""
    return {
        op: (wc, machine)
        for op, wc, machine in OperationProgress.objects.filter(
            operation_id__in=operation_ids
        ).values_list("operation_id", "work_center_id", "machine")
    }
