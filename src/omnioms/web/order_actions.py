"""The order page's actions: one button (or small form) per action of the order's stage,
taken through the flows action service, as ``POST /api/v1/orders/{id}/actions/{action}``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from omnioms.flows.fields import from_form
from omnioms.flows.registry import FIELDS, FieldSpec
from omnioms.flows.services import (
    ActionForbidden,
    ActionNotFound,
    ActionRefused,
    FieldErrors,
    Offer,
    offers,
    take_action,
)
from omnioms.orders.models import Order
from omnioms.orders.selectors import visible_orders


@dataclass
class ActionForm:
    """One action as the page shows it."""

    action: str
    label: str
    allowed: bool
    reason: str
    fields: list[FieldSpec] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def needs_form(self) -> bool:
        return bool(self.fields)


def action_forms(
    order: Order, user: Any, *, failed: str = "", errors: dict[str, str] | None = None
) -> list[ActionForm]:
    """The order page's actions; ``failed`` is the action whose form comes back with
    ``errors``."""
    found = []
    for offer in offers(order, user):
        form = _form(offer)
        if offer.transition.action == failed:
            form.errors = errors or {}
        found.append(form)
    return found


def _form(offer: Offer) -> ActionForm:
    t = offer.transition
    return ActionForm(
        action=t.action,
        label=_(t.label),
        allowed=offer.allowed,
        reason=offer.reason,
        fields=[FIELDS[name] for name in t.fields],
    )


@dataclass
class FlowSummary:
    flow: str
    version: int | None
    stage: str
    conflict: dict[str, Any] | None


def flow_summary(order: Order) -> FlowSummary:
    """The order's flow, version and stage by their labels, and an open conflict."""
    from omnioms.flows.services import flow_definition

    definition = flow_definition(order)
    stage = definition.stage(order.stage)
    version = order.flow_version
    return FlowSummary(
        flow=_(definition.name),
        version=version.number if version is not None else None,
        stage=_(stage.label) if stage is not None else order.stage,
        conflict=order.conflict,
    )


@login_required
@permission_required("orders.view_order", raise_exception=True)
@permission_required("orders.change_order", raise_exception=True)
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    from omnioms.web.views import order_detail_page

    order = get_object_or_404(visible_orders(request.user).select_related("account"), pk=pk)
    seen = request.POST.get("stage", "")
    if seen and seen != order.stage:
        messages.error(
            request,
            _("The order moved on meanwhile; nothing was changed. Here it is as it is now."),
        )
        return order_detail_page(request, order.pk, status=409)
    lines = list(order.lines.order_by("position"))
    offer = next((o for o in offers(order, request.user) if o.transition.action == action), None)
    names = offer.transition.fields if offer is not None else ()
    try:
        result = take_action(order, action, from_form(request.POST, names, lines), request.user)
    except ActionNotFound as exc:
        messages.error(request, str(exc))
        return order_detail_page(request, order.pk, status=404)
    except ActionForbidden as exc:
        messages.error(request, str(exc))
        return order_detail_page(request, order.pk, status=403)
    except ActionRefused as exc:
        messages.error(request, _("Not done: %(reason)s.") % {"reason": exc})
        return order_detail_page(request, order.pk, status=409)
    except FieldErrors as exc:
        messages.error(request, _("Not done: check the fields of %(action)s.") % {"action": action})
        return order_detail_page(
            request, order.pk, status=400, failed_action=action, action_errors=exc.errors
        )
    label = offer.transition.label if offer is not None else action
    messages.success(request, _("%(action)s: done.") % {"action": _(label)})
    if result.split is not None:
        messages.info(
            request,
            _("The new order is %(id)s.") % {"id": result.split.external_id},
        )
    return HttpResponseRedirect(reverse("web:order_detail", args=[order.pk]) + "#actions")
