"""The action service: what a person may do to an order now, and doing it.

``available_actions(order, user)`` lists the actions of the order's stage the user may take
now (their role allows it, the self-approval rule does, every guard holds);
``take_action(order, action, fields, user)`` takes one through the one status path
(:func:`omnioms.orders.moves.apply_move`): under the order's row lock it checks again that
the order is still in the stage the person saw, the role, the self-approval rule and the
guards, applies the operation, writes the timeline, and runs the effects (the flow's own, then
the write-back, demand and stock), all in one transaction.

Errors: :class:`ActionNotFound` (404), :class:`ActionForbidden` (403),
:class:`~omnioms.flows.operations.ActionRefused` (409: a guard fails, the stage moved on),
:class:`~omnioms.flows.fields.FieldErrors` (400).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.flows.definition import Definition, Transition
from omnioms.flows.fields import FieldErrors, as_json, parse_fields
from omnioms.flows.operations import OPERATIONS, ActionRefused
from omnioms.flows.registry import EFFECTS, FIELDS, EffectContext, check_guard
from omnioms.flows.selectors import current_version, definition_of
from omnioms.orders.effects import OrderChange
from omnioms.orders.models import Order, OrderEvent, OrderEventKind, OrderLine
from omnioms.orders.moves import Move, StageMoved, apply_move

User = Any
"""A user as ``request.user`` gives it (a ``User`` or ``AnonymousUser``)."""

__all__ = [
    "ActionForbidden",
    "ActionNotFound",
    "ActionRefused",
    "ActionResult",
    "FieldErrors",
    "Offer",
    "available_actions",
    "offers",
    "take_action",
]


class ActionNotFound(LookupError):
    """The order's flow has no such action (404)."""


class ActionForbidden(PermissionError):
    """The user's role may not take the action (403)."""


@dataclass(frozen=True)
class Offer:
    """An action of the order's stage as one user sees it: allowed, or why not."""

    transition: Transition
    allowed: bool
    reason: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "action": self.transition.action,
            "label": _(self.transition.label),
            "fields": [FIELDS[name].describe() for name in self.transition.fields],
        }


@dataclass
class ActionResult:
    order: Order
    action: str
    stage: str
    status: str
    results: dict[str, Any] = field(default_factory=dict)
    split: Order | None = None


@dataclass
class _Taken:
    """What the flows effect needs of an action, passed through ``OrderChange.action``."""

    transition: Transition
    fields: dict[str, Any]
    definition: Definition
    move: Move


def flow_definition(order: Order) -> Definition:
    """The definition of the flow version ``order`` runs under (its account's current one for
    an order placed before flows existed)."""
    if order.flow_version_id is None:
        return definition_of(current_version(order.account))
    return definition_of(order.flow_version_id)


def _role_allows(t: Transition, user: User) -> bool:
    if not user.is_authenticated or not user.has_perm("orders.change_order"):
        return False
    if not t.roles or getattr(user, "is_superuser", False):
        return True
    groups = set(user.groups.values_list("name", flat=True))
    return bool(groups & set(t.roles)) or "administrator" in groups


def _requested_by(order: Order) -> int | None:
    """The user whose action brought the order into its current stage."""
    event = (
        OrderEvent.objects.filter(order=order, kind=OrderEventKind.ACTION)
        .order_by("-at", "-pk")
        .values("actor_user_id", "data")
        .first()
    )
    if event is None or (event["data"] or {}).get("stage_to") != order.stage:
        return None
    user_id: int | None = event["actor_user_id"]
    return user_id


def _self_approval_refusal(t: Transition, order: Order, user: User) -> str:
    if t.self_approval or user.pk is None or _requested_by(order) != user.pk:
        return ""
    return _("you asked for this step yourself: someone else must take it")


def _guard_refusal(t: Transition, order: Order) -> str:
    for name in t.guards:
        reason = check_guard(name, order)
        if reason:
            return reason
    return ""


def offers(order: Order, user: User) -> list[Offer]:
    """Every action of the order's stage the user's role allows, each allowed or with the
    reason it may not be taken now (for the order page's disabled buttons)."""
    definition = flow_definition(order)
    found = []
    for t in definition.from_stage(order.stage):
        if not _role_allows(t, user):
            continue
        reason = _self_approval_refusal(t, order, user) or _guard_refusal(t, order)
        found.append(Offer(t, not reason, reason))
    return found


def available_actions(order: Order, user: User) -> list[dict[str, Any]]:
    """``[{"action": NAME, "label": ..., "fields": [...]}, ...]``: what ``user`` may do now."""
    return [offer.describe() for offer in offers(order, user) if offer.allowed]


def take_action(order: Order, action: str, fields: Any, user: User) -> ActionResult:
    """Take ``action`` on ``order`` as ``user`` with ``fields`` (a JSON object); see the module.

    ``order`` is the order as the person saw it: if its stage changed since, nothing is done
    (:class:`ActionRefused`)."""
    definition = flow_definition(order)
    t = definition.transition(action)
    if t is None:
        raise ActionNotFound(
            _("the flow of this order has no action %(action)s") % {"action": action}
        )
    if not _role_allows(t, user):
        raise ActionForbidden(
            _("your role may not take the action %(action)s") % {"action": action}
        )
    values = parse_fields(t.fields, fields)
    operation = OPERATIONS[t.operation]

    def decide(locked: Order, lines: list[OrderLine]) -> Move:
        if locked.stage not in t.sources:
            raise ActionRefused(
                _("the order is in the stage %(stage)s, where %(action)s cannot be taken")
                % {"stage": locked.stage, "action": action}
            )
        reason = _self_approval_refusal(t, locked, user) or _guard_refusal(t, locked)
        if reason:
            raise ActionRefused(reason)
        move = operation(locked, lines, t, values, definition)
        move.data = {"label": t.label, "fields": as_json(values), **move.data}
        move.context = _Taken(t, values, definition, move)
        return move

    actor = Actor.for_user(user) if user.is_authenticated else Actor.system("anonymous")
    try:
        changes = apply_move(
            order.pk,
            decide,
            actor=actor,
            expected_stage=order.stage,
            expected_version=order.flow_version_id,
        )
    except StageMoved as exc:
        raise ActionRefused(
            _("the order moved on to the stage %(stage)s meanwhile; nothing was changed")
            % {"stage": exc.current}
        ) from None
    moved = changes[0]
    return ActionResult(
        order=moved.order,
        action=action,
        stage=moved.order.stage,
        status=moved.order.status,
        results=moved.results,
        split=changes[1].order if len(changes) > 1 else None,
    )


def run_action_effects(changes: Sequence[OrderChange], actor: Actor) -> None:
    """The flows effect of every change to orders: for an action a person took, its operation's
    stock step (a return) and the effects its transition names, in order."""
    from omnioms.flows.effects import receive_returned

    for change in changes:
        taken = change.action
        if not isinstance(taken, _Taken):
            continue
        context = EffectContext(
            order=change.order,
            transition=taken.transition,
            fields=taken.fields,
            actor=actor,
            change=change,
            results=change.results,
            move=taken.move,
        )
        if taken.transition.operation == "return":
            receive_returned(context)
        for name in taken.transition.effects:
            entry = EFFECTS.get(name)
            if entry is not None and entry.run is not None:
                entry.run(context)
