"""Plans, the move check and promise dates over the REST API (``/api/v1``).

``GET /plans`` and ``/plans/{id}`` (``published`` for the published one) with its planned
operations; ``POST /plans/{id}/moves`` is the Gantt chart's move check (applied to a proposed
plan when accepted); ``GET /promise`` is capable-to-promise.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema, Text
from omnioms.catalog.models import Sku
from omnioms.planning.models import Plan, PlanStatus

router = Router(tags=["planning"])
MAX_QUANTITY = 2_147_483_647


class PlanOut(Schema):
    id: int
    version: int
    status: str
    what_if: bool
    solver_status: str
    based_on: int | None = Field(None, alias="based_on_id")
    horizon_start: datetime
    created_at: datetime
    published_at: datetime | None
    figures: dict[str, Any]

    @staticmethod
    def resolve_figures(obj: Plan) -> dict[str, Any]:
        keep = (
            "orders",
            "late",
            "on_time_share",
            "weighted_tardiness_hours",
            "lower_bound_hours",
            "flow_time_hours",
            "bottlenecks",
            "load",
            "method",
            "seconds",
        )
        return {k: v for k, v in (obj.objective or {}).items() if k in keep}


class PlannedOperationOut(Schema):
    id: int
    order: str
    operation: int
    sequence: int
    name: str
    work_center: str
    machine: int
    start: datetime
    end: datetime
    setup_minutes: int
    fixed: bool


class PlanDetailOut(PlanOut):
    operations: list[PlannedOperationOut]

    @staticmethod
    def resolve_operations(obj: Plan) -> list[dict[str, Any]]:
        rows = obj.operations.select_related("work_center", "operation__production_order")
        return [
            {
                "id": row.pk,
                "order": row.operation.production_order.number,
                "operation": row.operation_id,
                "sequence": row.operation.sequence,
                "name": row.operation.name,
                "work_center": row.work_center.code,
                "machine": row.machine,
                "start": row.start,
                "end": row.end,
                "setup_minutes": row.setup_minutes,
                "fixed": row.fixed,
            }
            for row in rows.order_by("start", "pk")
        ]


class MoveIn(InputSchema):
    operation: int = Field(ge=1, le=MAX_QUANTITY, description="the planned operation's id")
    start: datetime | None = None
    work_center: str | None = Field(None, max_length=50)
    machine: int | None = Field(None, ge=0, le=10_000, description="from 0")


class KnockOnOut(Schema):
    id: int
    operation: str
    start_before: datetime
    start_after: datetime
    end_after: datetime
    machine_before: str
    machine_after: str


class MoveOut(Schema):
    accepted: bool
    reason: str
    late: int | None
    weighted_tardiness_hours: float | None
    knock_on: list[KnockOnOut]


class PromiseQuery(InputSchema):
    sku: str = Field(max_length=100)
    quantity: int = Field(ge=1, le=MAX_QUANTITY)
    today: date | None = None


class PromiseOut(Schema):
    date: date | None
    source: str
    available: int
    made: int
    steps: list[dict[str, str]]


def _plan(pk: str) -> Plan:
    if pk == "published":
        found = Plan.objects.filter(status=PlanStatus.PUBLISHED).first()
    elif pk.isdigit() and len(pk) < 12:
        found = Plan.objects.filter(pk=int(pk)).first()
    else:
        raise HttpError(400, "plan: a plan id or 'published'")
    if found is None:
        raise HttpError(404, "no such plan")
    return found


@router.get("/plans", response={200: list[PlanOut]}, summary="Plan versions, newest first")
def list_plans(request: HttpRequest) -> list[Plan]:
    require_perm(request, "planning.view_plan")
    return list(Plan.objects.all()[:100])


@router.get(
    "/plans/{plan}",
    response={200: PlanDetailOut, 400: ErrorOut, 404: ErrorOut},
    summary="A plan with its planned operations ('published' for the published plan)",
)
def get_plan(request: HttpRequest, plan: Text) -> Plan:
    require_perm(request, "planning.view_plan")
    return _plan(plan)


@router.post(
    "/plans/{plan}/moves",
    response={200: MoveOut, 400: ErrorOut, 404: ErrorOut},
    summary="Move an operation: checked, applied to a proposed plan when accepted",
)
def move(request: HttpRequest, plan: Text, data: MoveIn) -> dict[str, Any]:
    """Refused moves answer 200 with ``accepted: false`` and the reason."""
    from omnioms.planning.schedules import move_operation, outcome_json

    require_perm(request, "planning.change_plan")
    found = _plan(plan)
    if data.start is not None and data.start.tzinfo is None:
        raise HttpError(400, "start: give the time with its UTC offset")
    outcome = move_operation(
        found,
        data.operation,
        start=data.start,
        work_center=data.work_center,
        machine=data.machine,
    )
    return outcome_json(outcome)


@router.get(
    "/promise",
    response={200: PromiseOut, 400: ErrorOut},
    summary="Capable to promise: the earliest date a quantity of a SKU can be delivered",
)
def promise(request: HttpRequest, q: Query[PromiseQuery]) -> dict[str, Any]:
    from omnioms.planning.promise import promise_date

    require_perm(request, "planning.view_rushrequest")
    sku = Sku.objects.filter(code=q.sku).first()
    if sku is None:
        raise HttpError(400, f"sku: unknown SKU {q.sku!r}")
    answer = promise_date(sku, q.quantity, q.today)
    return {
        "date": answer.date,
        "source": answer.source,
        "available": answer.available,
        "made": answer.made,
        "steps": answer.steps,
    }
