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

from omnioms.flows.fields import from_form
from omnioms.flows.registry import FIELDS, FieldSpec
from omnioms.flows.services import (
    ActionForbidden,
    ActionNotFound,
    FieldErrors,
    offers,
    take_action,
)
from omnioms.flows.services import ActionRefused as FlowRefused
from omnioms.orders.models import Order


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
        result = take_action(
            order, action, from_form(post, tuple(spec.name for spec in chosen.fields), lines), user
        )
    except FieldErrors as exc:
        raise ActionRefused(
            "; ".join(f"{name}: {message}" for name, message in exc.errors.items())
        ) from exc
    except (ActionNotFound, ActionForbidden, FlowRefused) as exc:
        raise ActionRefused(str(exc)) from exc
    return f"{result.stage}/{result.status}"
