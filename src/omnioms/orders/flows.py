"""Which status may follow which: the one place order status rules live.

A channel reports facts: when Taobao says an order shipped, it shipped, so channel-sourced
changes are always applied (and recorded). People and jobs inside omnioms may only move an
order along the flow. Issue "configurable flows per channel" replaces ``DEFAULT_FLOW`` with a
flow chosen per account; the function signatures stay.
"""

from __future__ import annotations

from omnioms.core.choices import OrderStatus as S

DEFAULT_FLOW: dict[S, frozenset[S]] = {
    S.DRAFT: frozenset({S.PENDING_PAYMENT, S.PAID, S.CANCELLED}),
    S.PENDING_PAYMENT: frozenset({S.PAID, S.CANCELLED}),
    S.PAID: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.REFUNDED}),
    S.PARTIALLY_SHIPPED: frozenset({S.SHIPPED, S.REFUNDED}),
    S.SHIPPED: frozenset({S.COMPLETED, S.REFUNDED}),
    S.COMPLETED: frozenset({S.REFUNDED}),
    S.CANCELLED: frozenset(),
    S.REFUNDED: frozenset(),
}

# How far along its life an order is; breaks ties between two versions with the same update time.
PROGRESS: dict[str, int] = {
    S.DRAFT: 0,
    S.PENDING_PAYMENT: 1,
    S.PAID: 2,
    S.PARTIALLY_SHIPPED: 3,
    S.SHIPPED: 4,
    S.COMPLETED: 5,
    S.CANCELLED: 6,
    S.REFUNDED: 7,
}


class TransitionNotAllowed(ValueError):
    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"an order in status {current!r} cannot move to {target!r}")


def allowed_targets(current: str) -> frozenset[S]:
    return DEFAULT_FLOW.get(S(current), frozenset())


def check_transition(current: str, target: str, *, from_channel: bool) -> None:
    """Raise :class:`TransitionNotAllowed` unless ``current -> target`` may happen."""
    if current == target or from_channel:
        return
    if S(target) not in allowed_targets(current):
        raise TransitionNotAllowed(current, target)
