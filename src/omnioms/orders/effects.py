"""What follows a change to orders: the effects other apps subscribe to.

The use cases of :mod:`omnioms.orders.services` are the only code that changes an order's
status (a channel's report through ``upsert_orders``, a person or a job through
``change_order_status`` and ``ship_order``). Each ends, inside its transaction, by passing one
:class:`OrderChange` per order it wrote to :func:`run_effects`, which calls every subscribed
effect in turn: stock reservations (``inventory``), the shipment told to the platform
(``sync``), and later flows, tickets and production. So no caller can change a status and
forget what must follow it, and an effect that fails rolls the change back with it.

Effects subscribe from their app's ``AppConfig.ready()``; ``orders`` imports none of them, so
the dependencies run one way (``docs/architecture.md``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from omnioms.core.actor import Actor
from omnioms.orders.domain import Shipment

if TYPE_CHECKING:
    from omnioms.orders.models import Order, OrderEvent


@dataclass
class OrderChange:
    """One order as a use case just wrote it (saved, its row locked until the commit)."""

    order: Order
    previous_status: str | None
    """The status before the change; ``None`` for an order seen for the first time."""
    from_channel: bool
    """A fact the channel reported (webhook, pull, import), not a move made in omnioms."""
    lines_changed: bool = False
    shipment: Shipment | None = None
    """The shipment a person recorded with the change, if any."""
    events: list[OrderEvent] = field(default_factory=list)
    """The timeline rows the use case wrote for it (saved)."""
    results: dict[str, Any] = field(default_factory=dict)
    """What effects did, for the caller to report (``"outbound_command"``: the queued command)."""
    previous_stage: str | None = None
    """The flow stage before the change (``Order.stage``)."""
    action: Any = None
    """The flow action a person took (:func:`omnioms.orders.moves.apply_move`), opaque to
    ``orders``: the flows app's effect reads it."""

    @property
    def status_changed(self) -> bool:
        return self.previous_status != self.order.status

    @property
    def first_seen(self) -> bool:
        """The order is new: nothing written for it by an earlier change can exist (effects
        skip their look-ups for it)."""
        return self.previous_status is None


Effect = Callable[[Sequence[OrderChange], Actor], None]


@dataclass(frozen=True)
class _Subscription:
    name: str
    effect: Effect
    priority: int


_subscriptions: dict[str, _Subscription] = {}

STOCK_PRIORITY = 1000
"""Stock runs last: its guarded UPDATEs lock the stock rows until the commit, and nothing
else should come between them and it."""


def subscribe(name: str, effect: Effect, *, priority: int = 100) -> None:
    """Run ``effect`` after every change to orders, lowest ``priority`` first.

    Subscribing again under the same name replaces the earlier effect (``ready()`` may run
    more than once in tests).
    """
    _subscriptions[name] = _Subscription(name, effect, priority)


def subscribed() -> list[str]:
    """The names of the subscribed effects, in the order they run."""
    return [s.name for s in sorted(_subscriptions.values(), key=lambda s: s.priority)]


def run_effects(changes: Sequence[OrderChange], *, actor: Actor) -> None:
    """Call every effect with ``changes``; only the use cases in ``orders.services`` call this,
    inside their transaction."""
    if not changes:
        return
    for subscription in sorted(_subscriptions.values(), key=lambda s: s.priority):
        subscription.effect(changes, actor)
