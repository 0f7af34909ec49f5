"""The scheduling engine (issue 12): pure, typed, no ORM and no Django (docs/scheduling.md).

Dataclasses in, dataclasses out:

- ``model``: :class:`Problem` (work centres with machines, calendars and family setups;
  production orders with their operations), :class:`Settings`, :class:`Plan`, and
  :func:`check_plan` (every broken constraint of a plan, in words);
- ``calendar``: working windows in minutes, :func:`weekly_calendar` from shifts, breaks,
  holidays and make-up working days;
- ``scheduling``: :func:`schedule` (dispatching, bottleneck first, CP-SAT, best plan found);
- ``bottleneck``: :func:`load_table` (work centre, load hours, capacity hours, utilisation);
- ``dispatching``: :func:`dispatch` with the rules ``fifo``, ``edd`` and ``mwkr``;
- ``moves``: :func:`check_move` (the Gantt chart's move check), :func:`insert_order` (rush
  order what-if) and :func:`compare_plans` (the impact report);
- ``jobshop`` and ``cli``: the OR-Library format and ``omnioms schedule jobshop``.

The names below are importable from ``omnioms.planning`` itself; they load on first use, so
``omnioms`` commands that do not plan never import OR-Tools.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Calendar": "calendar",
    "Shift": "calendar",
    "weekly_calendar": "calendar",
    "Fixed": "model",
    "Operation": "model",
    "Order": "model",
    "Plan": "model",
    "PlannedOperation": "model",
    "Problem": "model",
    "Settings": "model",
    "WorkCenter": "model",
    "check_plan": "model",
    "schedule": "scheduling",
    "load_table": "bottleneck",
    "bottlenecks": "bottleneck",
    "dispatch": "dispatching",
    "Move": "moves",
    "check_move": "moves",
    "compare_plans": "moves",
    "insert_order": "moves",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
