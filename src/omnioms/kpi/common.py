"""What every KPI engine shares: the input error, ratios, targets and grouping.

Pure Python: no Django, no database. Ratios are ``Decimal`` fractions (``0.875``, not
``87.5``); a ratio whose denominator is zero is ``None`` ("not measurable"), never 0 and never an
exception, so a work centre with no busy time or a period with no due lines shows as empty
instead of as a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class KpiInputError(ValueError):
    """Input an engine cannot measure: names the field and, when known, which item.

    ``index`` is the position of the offending item in the sequence the engine was given (the
    command line turns it into a file row); ``related`` is the position of a second item the
    problem involves (the interval another one overlaps). :meth:`located` words the error with
    the caller's names for those positions.
    """

    def __init__(
        self,
        field: str,
        message: str,
        *,
        index: int | None = None,
        related: int | None = None,
    ) -> None:
        self.field = field
        self.message = message
        self.index = index
        self.related = related
        super().__init__(self.located(lambda position: f"item {position}"))

    def located(self, name: Callable[[int], str]) -> str:
        """``"row 7: start: overlaps row 4 ..."`` with ``name`` turning positions into words."""
        message = self.message
        if self.related is not None:
            message = message.replace("{related}", name(self.related))
        where = f"{name(self.index)}: " if self.index is not None else ""
        return f"{where}{self.field}: {message}"

    def at(self, index: int) -> KpiInputError:
        """The same error, now knowing which item it is about."""
        return KpiInputError(self.field, self.message, index=index, related=self.related)


def ratio(numerator: Decimal | int, denominator: Decimal | int) -> Decimal | None:
    """``numerator / denominator`` as a ``Decimal``, ``None`` when the denominator is zero."""
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def reached(value: Decimal | None, target: Decimal) -> bool | None:
    """Whether a higher-is-better figure meets its target; ``None`` when it was not measurable."""
    return None if value is None else value >= target


def fraction(value: Decimal | float | int | str, field: str) -> Decimal:
    """A target or tolerance given as a fraction between 0 and 1 (``0.95``, not ``95``)."""
    number = Decimal(str(value))
    if not number.is_finite() or not 0 <= number <= 1:
        raise KpiInputError(field, f"{value} is not a fraction between 0 and 1 (95 % is 0.95)")
    return number


def seconds(start: datetime, end: datetime) -> Decimal:
    """The exact length of ``[start, end)`` in seconds (microseconds kept)."""
    delta = end - start
    microseconds = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return Decimal(microseconds) / 1_000_000


def is_aware(moment: datetime) -> bool:
    return moment.tzinfo is not None and moment.utcoffset() is not None


def grouped(items: Iterable[T], key: Callable[[T], K]) -> dict[K, list[T]]:
    """Items by ``key(item)``, the groups in the order their keys first appear."""
    groups: dict[K, list[T]] = {}
    for item in items:
        groups.setdefault(key(item), []).append(item)
    return groups


def shares(amounts: list[Decimal]) -> list[tuple[Decimal, Decimal]]:
    """Each amount's share of their sum and the running (cumulative) share: a Pareto's columns."""
    total = sum(amounts, Decimal(0))
    result = []
    running = Decimal(0)
    for amount in amounts:
        running += amount
        if total:
            result.append((amount / total, running / total))
        else:
            result.append((Decimal(0), Decimal(0)))
    return result
