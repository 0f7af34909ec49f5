"""The order actions an agent takes from a ticket (refund, return, resend, change address...).

They are not done here: ``omnioms.flows`` owns them. :func:`offers` says which actions of the
order's stage the user's role allows now, :func:`take_action` moves the order through its flow
in one transaction (stock, write-back, timeline). This module turns them into the forms of the
agent's screen and back, and nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from omnioms.flows.registry import FIELDS, FieldSpec
from omnioms.flows.services import (
    ActionForbidden,
    ActionNotFound,
    FieldErrors,
    offers,
    take_action,
)
from omnioms.flows.services import ActionRefused as FlowRefused
from omnioms.orders.models import Order, OrderLine
from omnioms.orders.services import line_key

ADDRESS_PARTS = ("name", "phone", "province", "city", "district", "address", "postal_code")


class ActionRefused(Exception):
    """The flow refused the action (not the user's role, a guard, the stage moved on, a field
    wrong); the message says why."""


@dataclass
class Action:
    name: str
    label: str
    fields: list[FieldSpec] = field(default_factory=list)


def available(order: Order, user: Any) -> list[Action]:
    """The actions ``user`` may take on ``order`` now, with the fields each asks for."""
    return [
        Action(o.transition.action, _(o.transition.label), [FIELDS[n] for n in o.transition.fields])
        for o in offers(order, user)
        if o.allowed
    ]


def fields_from_post(post: Any, specs: list[FieldSpec], lines: list[OrderLine]) -> dict[str, Any]:
    """The JSON object the flows take, from the screen's form (the same names as the order
    page's form: ``<field>-<line key>`` for quantities, ``<field>-<part>`` for addresses)."""
    data: dict[str, Any] = {}
    for spec in specs:
        name = spec.name
        if spec.kind == "lines":
            chosen = []
            for line in lines:
                raw = str(post.get(f"{name}-{line_key(line)}") or "").strip()
                if raw and raw != "0":
                    chosen.append(
                        {"line": line_key(line), "quantity": int(raw) if raw.isdigit() else raw}
                    )
            if chosen:
                data[name] = chosen
        elif spec.kind == "address":
            parts = {p: str(post.get(f"{name}-{p}", "")).strip() for p in ADDRESS_PARTS}
            if any(parts.values()):
                data[name] = {p: v for p, v in parts.items() if v}
        else:
            value = str(post.get(name, ""))
            if value != "":
                data[name] = value
    return data


def take(order: Order, action: str, post: Any, user: Any, *, seen_stage: str = "") -> str:
    """Take ``action`` with the posted form; returns what happened, or raises
    :class:`ActionRefused` with the flow's reason."""
    if seen_stage and seen_stage != order.stage:
        raise ActionRefused(_("The order moved on meanwhile; nothing was changed."))
    chosen = next((a for a in available(order, user) if a.name == action), None)
    if chosen is None:
        raise ActionRefused(
            _("%(action)s is not an action you may take on this order now.") % {"action": action}
        )
    lines = list(order.lines.order_by("position"))
    try:
        result = take_action(order, action, fields_from_post(post, chosen.fields, lines), user)
    except FieldErrors as exc:
        raise ActionRefused(
            "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
        ) from exc
    except (ActionNotFound, ActionForbidden, FlowRefused) as exc:
        raise ActionRefused(str(exc)) from exc
    return f"{result.stage}/{result.status}"
