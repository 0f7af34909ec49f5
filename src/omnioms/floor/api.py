"""The shop floor's REST API: jobs, reports, material, exceptions.

A report carries its own ``report_id``: sent again, it is answered 200 with the report as it
was applied (201 the first time); the same id with other content, or a report that contradicts
the record (a finish before its start, more finished than came in), is a 409 naming the field
and changes nothing. Malformed input is a 422, an unknown job or SKU a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema, Text
from omnioms.core.actor import Actor
from omnioms.floor import exceptions as floor_exceptions
from omnioms.floor.domain import FloorError
from omnioms.floor.materials import issue_material, return_material
from omnioms.floor.models import (
    FloorException,
    OperationReport,
    PauseReason,
    ReportKind,
    ReportSource,
    ScrapReason,
)
from omnioms.floor.selectors import Job, job_by_code, work_center_queue
from omnioms.planning.models import ProductionOrder
from omnioms.production.models import WorkCenter

router = Router(tags=["floor"])

MAX_UNITS = 2_147_483_647


def _error(exc: FloorError) -> Status:
    return Status(
        409 if exc.conflict else 400,
        {
            "detail": f"{exc.field}: {exc.message}",
            "errors": [{"field": exc.field, "message": exc.message}],
        },
    )


class JobOut(Schema):
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


@router.get(
    "/floor/work-centers/{code}/queue",
    response={200: list[JobOut], 404: ErrorOut},
    summary="A work centre's jobs not done yet, running first, then by the published plan",
)
def get_queue(request: HttpRequest, code: Text) -> list[Job]:
    require_perm(request, "floor.view_operationreport")
    centre = WorkCenter.objects.filter(code=code).first()
    if centre is None:
        raise HttpError(404, f"code: no work centre {code!r}")
    return work_center_queue(centre)


@router.get(
    "/floor/jobs/{code}",
    response={200: JobOut, 404: ErrorOut},
    summary="The job a ticket's code names (MO-00012/20)",
)
def get_job(request: HttpRequest, code: Text) -> Job:
    require_perm(request, "floor.view_operationreport")
    job = job_by_code(code)
    if job is None:
        raise HttpError(404, f"code: no job {code!r}")
    return job


# One enumeration each, the empty string included, so that a bad value names its field.
ScrapReasonIn = Literal["", "material", "machine", "operator", "setup", "quality", "other"]
PauseReasonIn = Literal[
    "", "breakdown", "waiting_material", "setup", "no_operator", "quality_hold", "planned_stop"
]
assert set(get_args(ScrapReasonIn)) == {"", *ScrapReason.values}
assert set(get_args(PauseReasonIn)) == {"", *PauseReason.values}


class ReportIn(InputSchema):
    report_id: str = Field(min_length=1, max_length=64, description="The sender's own id")
    job: str = Field(min_length=1, max_length=120, description="The ticket code, MO-00012/20")
    kind: ReportKind
    at: datetime = Field(description="When it happened, with its time zone")
    good: int = Field(0, ge=0, le=MAX_UNITS)
    scrap: int = Field(0, ge=0, le=MAX_UNITS)
    scrap_reason: ScrapReasonIn = ""
    pause_reason: PauseReasonIn = ""
    machine: int | None = Field(None, ge=0, le=10_000)
    note: str = Field("", max_length=500)


class ReportOut(Schema):
    report_id: str
    job: str
    kind: str
    at: datetime
    good: int
    scrap: int
    scrap_reason: str
    pause_reason: str
    work_center: str
    machine: int
    status: str
    """The job's status after the report."""

    @staticmethod
    def resolve_job(obj: OperationReport) -> str:
        op = obj.operation
        return f"{op.production_order.number}/{op.sequence}"

    @staticmethod
    def resolve_work_center(obj: OperationReport) -> str:
        return obj.work_center.code

    @staticmethod
    def resolve_status(obj: OperationReport) -> str:
        return obj.operation.status


@router.post(
    "/floor/reports",
    response={200: ReportOut, 201: ReportOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Report a job started, paused, resumed, output or finished (applied once per id)",
)
def post_report(request: HttpRequest, data: ReportIn) -> Status:
    require_perm(request, "floor.report_operation")
    from omnioms.floor.reporting import report_operation

    job = job_by_code(data.job)
    if job is None:
        return _error(FloorError("job", f"no job {data.job!r}"))
    try:
        applied = report_operation(
            operation_id=job.operation_id,
            report_id=data.report_id,
            kind=data.kind,
            at=data.at,
            good=data.good,
            scrap=data.scrap,
            scrap_reason=data.scrap_reason,
            pause_reason=data.pause_reason,
            machine=data.machine,
            note=data.note,
            source=ReportSource.API,
            actor=Actor.for_user(request.user),
        )
    except FloorError as exc:
        return _error(exc)
    report = OperationReport.objects.select_related(
        "operation__production_order", "work_center"
    ).get(pk=applied.report.pk)
    return Status(201 if applied.created else 200, report)


class MaterialIn(InputSchema):
    report_id: str = Field(min_length=1, max_length=64)
    production_order: str = Field(min_length=1, max_length=30)
    sku: str = Field(min_length=1, max_length=100)
    quantity: int = Field(gt=0, le=MAX_UNITS, description="Steps of the stock unit")
    kind: Literal["issue", "return"] = "issue"


class MaterialOut(Schema):
    report_id: str
    production_order: str
    sku: str
    kind: str
    quantity: int


@router.post(
    "/floor/materials",
    response={200: MaterialOut, 201: MaterialOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Issue material to a production order, or return what was not used",
)
def post_material(request: HttpRequest, data: MaterialIn) -> Status:
    require_perm(request, "floor.issue_material")
    order = ProductionOrder.objects.filter(number=data.production_order).first()
    if order is None:
        return _error(
            FloorError("production_order", f"no production order {data.production_order!r}")
        )
    move = issue_material if data.kind == "issue" else return_material
    try:
        movement, created = move(
            order.pk,
            sku=data.sku,
            quantity=data.quantity,
            report_id=data.report_id,
            actor=Actor.for_user(request.user),
        )
    except FloorError as exc:
        return _error(exc)
    out = {
        "report_id": movement.report_id,
        "production_order": order.number,
        "sku": movement.sku.code,
        "kind": movement.kind,
        "quantity": abs(movement.quantity),
    }
    return Status(201 if created else 200, out)


class ExceptionOut(Schema):
    id: int
    type: str
    title: str
    status: str
    owner: str
    opened_at: datetime
    acknowledge_by: datetime
    resolve_by: datetime
    escalation_level: int
    cause: str
    action: str

    @staticmethod
    def resolve_type(obj: FloorException) -> str:
        return obj.type.code

    @staticmethod
    def resolve_owner(obj: FloorException) -> str:
        return obj.owner_user.get_username() if obj.owner_user else obj.owner_role


@router.get(
    "/floor/exceptions",
    response=list[ExceptionOut],
    summary="Exceptions: open (default), overdue, escalated or closed",
)
def list_exceptions(
    request: HttpRequest, view: Literal["open", "overdue", "escalated", "closed"] = "open"
) -> list[FloorException]:
    require_perm(request, "floor.view_floorexception")
    return list(floor_exceptions.listed(view).select_related("type", "owner_user")[:500])


class StepIn(InputSchema):
    step: Literal["acknowledge", "work", "resolve", "close", "reopen"]
    cause: str = Field("", max_length=2000)
    action: str = Field("", max_length=2000)
    due: str = Field("", max_length=10, description="YYYY-MM-DD, with the work step")
    note: str = Field("", max_length=2000)


@router.post(
    "/floor/exceptions/{exception_id}/steps",
    response={200: ExceptionOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Acknowledge, work (cause, action, due), resolve, verify and close, or reopen",
)
def post_step(request: HttpRequest, exception_id: int, data: StepIn) -> Status:
    require_perm(request, "floor.work_exception")
    if not FloorException.objects.filter(pk=exception_id).exists():
        raise HttpError(404, f"exception_id: no exception {exception_id}")
    try:
        exc = floor_exceptions.take_step(
            exception_id,
            step=data.step,
            user=request.user,
            cause=data.cause,
            action=data.action,
            due=data.due,
            note=data.note,
        )
    except FloorError as err:
        return _error(err)
    return Status(200, exc)
