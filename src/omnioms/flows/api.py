"""The order's actions in the REST API: list what the caller may do now, take one.

``GET /api/v1/orders/{id}/actions`` -> ``[{"action": NAME, "label": ..., "fields": [...]}]``;
``POST /api/v1/orders/{id}/actions/{action}`` with the fields as a JSON object: 200 with the
order's new stage and status; 400 for bad fields (each named), 403 when the caller's role may
not take it, 404 for an action the order's flow does not have, 409 with the reason when a
guard fails or the order moved on.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, Text
from omnioms.flows.services import (
    ActionForbidden,
    ActionNotFound,
    ActionRefused,
    FieldErrors,
    available_actions,
    take_action,
)
from omnioms.orders.selectors import visible_orders

router = Router(tags=["orders"])


class ActionFieldOut(Schema):
    name: str
    label: str
    kind: str = Field(description="text, lines, amount, address, choice")
    required: bool
    choices: list[str] | None = None


class ActionOut(Schema):
    action: str
    label: str
    fields: list[ActionFieldOut]


class ActionTakenOut(Schema):
    order_id: int
    action: str
    stage: str
    status: str
    command_id: int | None = Field(
        None, description="The message queued to the platform (a shipment); null when none."
    )
    split_order_id: int | None = Field(None, description="The new order a split made.")


@router.get(
    "/orders/{order_id}/actions",
    response={200: list[ActionOut], 404: ErrorOut},
    summary="What the caller may do to the order now",
)
def list_actions(request: HttpRequest, order_id: int) -> list[dict[str, Any]]:
    require_perm(request, "orders.view_order")
    order = get_object_or_404(visible_orders(request.user).select_related("account"), pk=order_id)
    return available_actions(order, request.user)


@router.post(
    "/orders/{order_id}/actions/{action}",
    response={200: ActionTakenOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Take an action of the order's flow, with its fields",
    openapi_extra={
        "requestBody": {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "required": False,
        }
    },
)
def post_action(request: HttpRequest, order_id: int, action: Text) -> Status:
    require_perm(request, "orders.view_order", "orders.change_order")
    order = get_object_or_404(visible_orders(request.user).select_related("account"), pk=order_id)
    fields = _body(request)
    try:
        result = take_action(order, action, fields, request.user)
    except ActionNotFound as exc:
        raise HttpError(404, str(exc)) from exc
    except ActionForbidden as exc:
        raise HttpError(403, str(exc)) from exc
    except ActionRefused as exc:
        raise HttpError(409, str(exc)) from exc
    except FieldErrors as exc:
        return Status(
            400,
            {
                "detail": str(exc),
                "errors": [{"field": name, "message": msg} for name, msg in exc.errors.items()],
            },
        )
    command = result.results.get("outbound_command")
    return Status(
        200,
        {
            "order_id": result.order.pk,
            "action": action,
            "stage": result.stage,
            "status": result.status,
            "command_id": command.pk if command is not None else None,
            "split_order_id": result.split.pk if result.split is not None else None,
        },
    )


def _body(request: HttpRequest) -> Any:
    if not request.body:
        return {}
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise HttpError(400, f"the body is not JSON: {exc}") from exc
