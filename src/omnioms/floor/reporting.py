"""Reports from the shop floor: start, pause (with a reason), resume, output and finish.

:func:`report_operation` is the one use case every channel calls (the tablet page, the REST
API, the Excel upload). It owns its transaction: the operation's row is locked, the report is
checked against what is known (:func:`omnioms.floor.domain.check_report`), then the report,
the operation's status and counts, its progress and the machine state intervals are written
together. The report's own id makes a repeat change nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.floor.domain import AFTER, FloorError, Record, check_report
from omnioms.floor.models import (
    OperationProgress,
    OperationReport,
    PauseReason,
    ReportKind,
    ScrapReason,
    StateInterval,
)
from omnioms.planning.models import (
    OperationStatus,
    PlannedOperation,
    PlanStatus,
    ProductionOperation,
    ProductionOrder,
    ProductionStatus,
)

MIN_IDEAL_SECONDS = Decimal("0.001")
"""OEE needs a run time per unit above 0 for what was made; an operation without one counts
at this."""


@dataclass(frozen=True)
class Applied:
    report: OperationReport
    created: bool
    """False: the same report had been applied before; nothing changed."""


def _same(existing: OperationReport, **fields: object) -> bool:
    return all(getattr(existing, name) == value for name, value in fields.items())


def report_operation(
    *,
    operation_id: int,
    report_id: str,
    kind: str,
    at: datetime,
    actor: Actor,
    source: str,
    good: int = 0,
    scrap: int = 0,
    scrap_reason: str = "",
    pause_reason: str = "",
    machine: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> Applied:
    """Apply one report; raise :class:`FloorError` (nothing written) when it contradicts.

    ``now`` is the clock a report may not be ahead of: the real one, except for a demo or a
    simulation whose day is not today."""
    report_id = report_id.strip()
    if not report_id or len(report_id) > 64:
        raise FloorError("report_id", _("give the report an id of 1 to 64 characters"))
    if kind not in ReportKind.values:
        raise FloorError("kind", _("%(kind)r is not a report kind") % {"kind": kind})
    if timezone.is_naive(at):
        raise FloorError("at", _("give the time with its time zone"))
    if good < 0 or scrap < 0:
        raise FloorError("good", _("quantities are whole numbers, 0 or more"))
    if kind == ReportKind.PAUSE and pause_reason not in PauseReason.values:
        raise FloorError("pause_reason", _("say why the job stops"))
    if scrap and scrap_reason not in ScrapReason.values:
        raise FloorError("scrap_reason", _("say why the scrap was scrapped"))
    content = {
        "operation_id": operation_id,
        "kind": kind,
        "at": at,
        "good": good,
        "scrap": scrap,
        "scrap_reason": scrap_reason if scrap else "",
        "pause_reason": pause_reason if kind == ReportKind.PAUSE else "",
    }
    existing = OperationReport.objects.filter(report_id=report_id).first()
    if existing is not None:
        return _repeat(existing, content)
    try:
        with transaction.atomic():
            return Applied(
                _apply(
                    report_id,
                    content,
                    actor=actor,
                    source=source,
                    machine=machine,
                    note=note,
                    now=now or timezone.now(),
                ),
                True,
            )
    except IntegrityError:
        # Another request applied the same id meanwhile.
        existing = OperationReport.objects.filter(report_id=report_id).first()
        if existing is None:
            raise
        return _repeat(existing, content)


def _repeat(existing: OperationReport, content: dict[str, object]) -> Applied:
    if _same(existing, **content):
        return Applied(existing, False)
    raise FloorError(
        "report_id",
        _("report %(id)s was already applied with different content") % {"id": existing.report_id},
        conflict=True,
    )


def _available(operation: ProductionOperation, order: ProductionOrder) -> tuple[int, str]:
    previous = (
        ProductionOperation.objects.filter(production_order=order, sequence__lt=operation.sequence)
        .order_by("-sequence")
        .first()
    )
    if previous is None:
        return order.quantity, _("the order's quantity")
    return previous.good, _("operation %(seq)s (%(name)s)") % {
        "seq": previous.sequence,
        "name": previous.name,
    }


def planned_place(operation_id: int) -> tuple[int | None, int]:
    """The work centre and machine the published plan gives an operation."""
    row = (
        PlannedOperation.objects.filter(
            operation_id=operation_id, plan__status=PlanStatus.PUBLISHED
        )
        .values_list("work_center_id", "machine")
        .first()
    )
    return (row[0], row[1]) if row else (None, 0)


def _apply(
    report_id: str,
    content: dict[str, object],
    *,
    actor: Actor,
    source: str,
    machine: int | None,
    note: str,
    now: datetime,
) -> OperationReport:
    operation_id = content["operation_id"]
    assert isinstance(operation_id, int)
    operation = ProductionOperation.objects.select_for_update().filter(pk=operation_id).first()
    if operation is None:
        raise FloorError("operation", _("no operation %(id)s") % {"id": content["operation_id"]})
    order = ProductionOrder.objects.select_for_update().get(pk=operation.production_order_id)
    if order.status in (ProductionStatus.CLOSED, ProductionStatus.CANCELLED):
        raise FloorError(
            "operation",
            _("production order %(number)s is %(status)s")
            % {"number": order.number, "status": order.get_status_display()},
            conflict=True,
        )
    progress = OperationProgress.objects.filter(operation=operation).first()
    available, source_name = _available(operation, order)
    kind, at = str(content["kind"]), content["at"]
    assert isinstance(at, datetime)
    good, scrap = int(content["good"]), int(content["scrap"])  # type: ignore[call-overload]
    check_report(
        Record(
            status=operation.status,
            good=operation.good,
            scrap=operation.scrap,
            last_at=progress.last_at if progress else None,
            available=available,
            source=source_name,
        ),
        kind=kind,
        at=at,
        good=good,
        scrap=scrap,
        now=now,
    )
    if progress is None:
        planned_wc, planned_machine = planned_place(operation.pk)
        progress = OperationProgress(
            operation=operation,
            work_center_id=planned_wc or operation.work_center_id,
            machine=planned_machine if machine is None else machine,
        )
    elif machine is not None and operation.status == OperationStatus.WAITING:
        progress.machine = machine
    report = OperationReport.objects.create(
        report_id=report_id,
        operation=operation,
        kind=kind,
        at=at,
        good=good,
        scrap=scrap,
        scrap_reason=str(content["scrap_reason"]),
        pause_reason=str(content["pause_reason"]),
        work_center_id=progress.work_center_id,
        machine=progress.machine,
        note=note[:500],
        source=source,
        actor_label=actor.label[:200],
        actor_user_id=actor.user_id,
    )
    _close_interval(operation, progress, report)
    if kind == ReportKind.START:
        progress.started_at = at
    if kind == ReportKind.PAUSE:
        progress.pause_reason = report.pause_reason
    elif kind in (ReportKind.RESUME, ReportKind.FINISH):
        progress.pause_reason = ""
    if kind == ReportKind.FINISH:
        progress.finished_at = at
    progress.last_at = progress.since = at
    progress.save()
    operation.status = AFTER[kind]
    operation.good += good
    operation.scrap += scrap
    operation.save(update_fields=["status", "good", "scrap"])
    if order.status == ProductionStatus.RELEASED:
        order.status = ProductionStatus.IN_PROGRESS
        order.save(update_fields=["status"])
    if kind == ReportKind.FINISH and _is_last(operation):
        from omnioms.floor.materials import complete_order

        complete_order(order, good=operation.good, actor=actor, at=at)
    return report


def _is_last(operation: ProductionOperation) -> bool:
    return not ProductionOperation.objects.filter(
        production_order_id=operation.production_order_id, sequence__gt=operation.sequence
    ).exists()


def _close_interval(
    operation: ProductionOperation, progress: OperationProgress, report: OperationReport
) -> None:
    """The interval that ends with this report: producing while running (with the units the
    report brings), the pause's reason while paused."""
    if operation.status == OperationStatus.WAITING or progress.since is None:
        return
    ideal = max(operation.run_seconds_per_unit, MIN_IDEAL_SECONDS)
    if operation.status == OperationStatus.RUNNING:
        state, reason = "producing", ""
    else:
        reason = progress.pause_reason or PauseReason.BREAKDOWN
        state = reason
    common = {
        "operation": operation,
        "work_center_id": progress.work_center_id,
        "machine": progress.machine,
        "ideal_seconds_per_unit": ideal,
    }
    units = report.good + report.scrap
    if state == "producing":
        StateInterval.objects.create(
            start=progress.since,
            end=report.at,
            state=state,
            produced=units,
            scrap=report.scrap,
            scrap_reason=report.scrap_reason,
            **common,
        )
        return
    StateInterval.objects.create(
        start=progress.since, end=report.at, state=state, reason=reason, **common
    )
    if units:  # finished from a pause: the units were made before it
        StateInterval.objects.create(
            start=report.at,
            end=report.at,
            state="producing",
            produced=units,
            scrap=report.scrap,
            scrap_reason=report.scrap_reason,
            **common,
        )
