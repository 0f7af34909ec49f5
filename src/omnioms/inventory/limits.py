"""Refusals of the stock use cases: bad input, the stock limit, and the movement ceiling.

Two bounds, for two reasons (``docs/decisions.md``, "Stock figures"):

- :data:`~omnioms.inventory.domain.STOCK_LIMIT` is a hard limit: on hand of one SKU at one
  location never goes past it, so every figure stored stays within its column on both
  databases. What would cross it is refused (:func:`past_limit`).
- The movement ceiling (``OMNIOMS_STOCK_MOVEMENT_CEILING``) catches a person's slip (a count
  of 2,147,483,647 typed for 21): a receipt, adjustment, count or transfer by a person that
  moves more units than the ceiling is refused (:class:`AboveCeiling`) until they confirm
  the figure; the document records the ceiling and who confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.inventory.domain import STOCK_LIMIT

DEFAULT_CEILING = 100_000


class StockError(ValueError):
    """Bad input or not enough stock; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str, *, conflict: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.conflict = conflict
        """True when the input is well-formed but the stock is not there (HTTP 409)."""


@dataclass(frozen=True)
class Effect:
    """What a movement would do at one location: on hand and available, before and after."""

    location: str
    on_hand: tuple[int, int]
    available: tuple[int, int]


def effect_of(
    location: str, delta: int, *, on_hand: int = 0, reserved: int = 0, safety_stock: int = 0
) -> Effect:
    """The figures at ``location`` after ``delta`` units in or out; reservations above what
    stays are released (as ``adjust_stock`` and ``count_stock`` do)."""
    after = on_hand + delta
    return Effect(
        location,
        (on_hand, after),
        (on_hand - reserved - safety_stock, after - min(reserved, max(after, 0)) - safety_stock),
    )


class AboveCeiling(StockError):
    """A person's movement larger than the ceiling, not confirmed: nothing was written.

    ``figure`` is what the person entered (a count's figure is not its movement), ``change``
    the units the movement would move (signed), ``effects`` what it would do where. The
    message says what is wrong; the API and the form each say how to confirm.
    """

    def __init__(
        self, field: str, *, figure: int, change: int, ceiling: int, effects: list[Effect]
    ) -> None:
        if figure == change:
            message = _(
                "%(units)s units in one movement is more than the ceiling of %(ceiling)s"
            ) % {"units": abs(change), "ceiling": ceiling}
        else:
            message = _(
                "The count of %(figure)s changes on hand by %(change)s units, more than the "
                "ceiling of %(ceiling)s per movement"
            ) % {"figure": figure, "change": f"{change:+d}", "ceiling": ceiling}
        super().__init__(field, message, conflict=True)
        self.figure = figure
        self.change = change
        self.ceiling = ceiling
        self.effects = effects


def movement_ceiling(actor: Actor) -> int | None:
    """The ceiling on a movement by ``actor``: people's input only (the system's jobs, the demo
    loader and scripts acting as the system move what they were told). None: no ceiling."""
    if actor.kind != "user":
        return None
    ceiling = int(getattr(settings, "OMNIOMS_STOCK_MOVEMENT_CEILING", DEFAULT_CEILING))
    return ceiling if 0 < ceiling < STOCK_LIMIT else None


def beyond(ceiling: int | None, change: int) -> bool:
    return ceiling is not None and abs(change) > ceiling


def within_limit(value: int, field: str) -> None:
    """A figure (a quantity, safety stock) larger than any on hand can be is bad input."""
    if value > STOCK_LIMIT:
        raise StockError(
            field, _("must be at most %(limit)s, not %(v)s") % {"limit": STOCK_LIMIT, "v": value}
        )


def past_limit(field: str, *, location: str, on_hand: int, quantity: int) -> StockError:
    """Refusal of ``quantity`` units into ``location`` that holds ``on_hand``."""
    return StockError(
        field,
        _(
            "%(location)s holds %(on_hand)s; %(quantity)s more would take on hand past "
            "%(limit)s, the most one location can hold of a SKU"
        )
        % {"location": location, "on_hand": on_hand, "quantity": quantity, "limit": STOCK_LIMIT},
        conflict=True,
    )
