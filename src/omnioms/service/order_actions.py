"""The order actions an agent takes from a ticket (refund, return, resend, change address).

They are not done here: ``omnioms.flows`` owns them (``available_actions(order, user)`` says
which the user's role allows on the order now, ``take_action(order, action, fields, user)``
moves the order through its flow). This module is the one place the service app calls them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import omnioms.flows as flows
from omnioms.orders.models import Order


class ActionRefused(Exception):
    """The flow refused the action (not allowed now, not the user's role, a field wrong)."""


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    fields: tuple[str, ...] = ()


def _as_action(value: Any) -> Action:
    if isinstance(value, str):
        return Action(value, value)
    name = str(getattr(value, "name", None) or getattr(value, "code", None) or value)
    label = str(getattr(value, "label", None) or name)
    fields = tuple(str(getattr(f, "name", f)) for f in (getattr(value, "fields", None) or ()))
    return Action(name, label, fields)


def available(order: Order, user: Any) -> list[Action]:
    """The actions the user may take on the order now ([] until the flows app provides them)."""
    find = getattr(flows, "available_actions", None)
    if find is None:
        return []
    return [_as_action(a) for a in find(order, user)]


def take(order: Order, action: str, fields: dict[str, str], user: Any) -> str:
    run = getattr(flows, "take_action", None)
    if run is None:
        raise ActionRefused("order actions are not available in this installation")
    if action not in {a.name for a in available(order, user)}:
        raise ActionRefused(f"action: {action!r} is not allowed on this order now")
    try:
        result = run(order, action, fields, user)
    except (ValueError, PermissionError, LookupError) as exc:
        raise ActionRefused(str(exc)) from exc
    return str(result or "")
