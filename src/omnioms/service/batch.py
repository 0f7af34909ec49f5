"""What the tickets of one intake batch share: the SLA policies and assignment rules read once
per batch instead of once per ticket, and the tickets' search entries written once at the end
of the batch. Outside a batch (an agent's change, a replay) everything is read and written at
once, as before."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Batch:
    values: dict[str, Any] = field(default_factory=dict)
    tickets_to_index: set[int] = field(default_factory=set)


_current: ContextVar[Batch | None] = ContextVar("service_batch", default=None)


@contextmanager
def batch() -> Iterator[Batch]:
    """Within the batch's transaction: cached reads, search entries deferred to the caller,
    who writes them before the commit (``search.flush``)."""
    current = Batch()
    token = _current.set(current)
    try:
        yield current
    finally:
        _current.reset(token)


def cached(name: str, load: Callable[[], T]) -> T:
    """``load()`` once per batch (every time outside one)."""
    current = _current.get()
    if current is None:
        return load()
    if name not in current.values:
        current.values[name] = load()
    value: T = current.values[name]
    return value


def defer_ticket_index(ticket_ids: Iterable[int]) -> bool:
    """Keep the tickets for the batch's end; False outside a batch (index them now)."""
    current = _current.get()
    if current is None:
        return False
    current.tickets_to_index.update(ticket_ids)
    return True
