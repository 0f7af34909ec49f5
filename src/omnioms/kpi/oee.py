"""Overall equipment effectiveness as ISO 22400-2 defines it, with the losses behind it.

Input: a work centre's state log, one :class:`StateRecord` per interval in one state. The
ISO 22400-2 times are sums over those intervals:

* planned busy time (PBT): every state except ``planned_stop`` (a planned stop — a break, a
  shift without work, planned maintenance — is not busy time and costs no availability);
* actual production time (APT): the ``producing`` intervals;
* ``setup`` and the unplanned stops (``breakdown``, ``waiting_material``, ``no_operator``,
  ``quality_hold``) are busy time without production: the availability losses.

and the quantities are those reported in ``producing`` intervals: produced quantity (PQ, scrap
included), scrap, good quantity GQ = PQ − scrap, and the planned run time Σ(planned run time
per unit × PQ), each interval with its own standard (so mixed products add up correctly).

    availability  = APT / PBT
    effectiveness = Σ(planned run time per unit × PQ) / APT
    quality       = GQ / PQ
    OEE           = availability × effectiveness × quality

Effectiveness above 1 is reported as it is: the standard time is slacker than the work.
A ratio with a zero denominator is ``None``. OEE is ``None`` only when there was no busy
time; when there was, a factor that is not measurable always comes with one that is 0 (no
production time means availability 0; production time but nothing produced means
effectiveness 0), and OEE is 0.

**Totals are never averages.** :func:`oee` over many work centres (or :func:`oee_by` with any
key) adds up the times and quantities first and divides once: a centre busy 8 hours weighs
twice one busy 4 hours, as the ISO definition and the factory's hours require. The mean of
per-centre OEEs is a different, misleading number (see ``docs/kpi.md``).

Time not covered by any interval counts as nothing (neither busy nor producing): the log has
to cover the planned busy time, and a caller that knows the shift calendar fills gaps with the
state it wants them judged as. Intervals of one work centre and machine must not overlap: a
machine is in one state at a time, and an overlap (usually a row exported twice) would count
its time twice. Several machines of one work centre log under their own ``machine`` and add up
in the work centre's figures (machine-seconds).

Each interval is counted whole in the group of its key; cut intervals at shift or day
boundaries before grouping by shift or period if they cross them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, overload

from omnioms.kpi.common import (
    K,
    KpiInputError,
    fraction,
    grouped,
    is_aware,
    ratio,
    reached,
    seconds,
    shares,
)

OEE_TARGET = Decimal("0.80")


class MachineState(StrEnum):
    PRODUCING = "producing"
    SETUP = "setup"
    BREAKDOWN = "breakdown"
    WAITING_MATERIAL = "waiting_material"
    NO_OPERATOR = "no_operator"
    QUALITY_HOLD = "quality_hold"
    PLANNED_STOP = "planned_stop"


UNPLANNED_STOPS = frozenset(
    {
        MachineState.BREAKDOWN,
        MachineState.WAITING_MATERIAL,
        MachineState.NO_OPERATOR,
        MachineState.QUALITY_HOLD,
    }
)
"""Busy time without production that is not setup."""

_STATE_ORDER = {state: position for position, state in enumerate(MachineState)}


@dataclass(frozen=True)
class StateRecord:
    """One interval ``[start, end)`` of a work centre (or one of its machines) in one state.

    ``produced`` and ``scrap`` count units made in a ``producing`` interval (scrap is part of
    produced); ``ideal_seconds_per_unit`` is the planned run time per unit of what it made,
    required when it made anything. ``reason`` says why a stop or setup happened (the
    downtime Pareto is by state and reason); ``scrap_reasons`` splits the scrap by reason (any
    scrap not given a reason counts under ``""``). ``tags`` carry what the caller groups by
    (line, shift, period, ...). Construction validates and raises :class:`KpiInputError`.
    """

    work_center: str
    start: datetime
    end: datetime
    state: MachineState
    produced: int = 0
    scrap: int = 0
    ideal_seconds_per_unit: Decimal | None = None
    reason: str = ""
    scrap_reasons: Mapping[str, int] = field(default_factory=dict)
    machine: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.work_center:
            raise KpiInputError("work_center", "is empty")
        try:
            object.__setattr__(self, "state", MachineState(self.state))
        except ValueError:
            known = ", ".join(MachineState)
            raise KpiInputError("state", f"{self.state!r} is not one of {known}") from None
        for name in ("start", "end"):
            moment = getattr(self, name)
            if not isinstance(moment, datetime) or not is_aware(moment):
                raise KpiInputError(name, "has no time zone: give an offset, e.g. +08:00")
        if self.end < self.start:
            raise KpiInputError("end", f"{self.end.isoformat()} is before the start")
        for name in ("produced", "scrap"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise KpiInputError(name, f"{value!r} is not a whole number of units, 0 or more")
        if self.state is not MachineState.PRODUCING and (self.produced or self.scrap):
            raise KpiInputError(
                "produced" if self.produced else "scrap",
                f"units are made only in a producing interval, not in {self.state}",
            )
        if self.scrap > self.produced:
            raise KpiInputError(
                "scrap",
                f"{self.scrap} is more than produced ({self.produced}); scrap is part of it",
            )
        self._check_standard()
        scrapped = 0
        for reason, quantity in self.scrap_reasons.items():
            if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
                raise KpiInputError("scrap_reasons", f"{reason}: {quantity!r} is not a quantity")
            scrapped += quantity
        if scrapped > self.scrap:
            raise KpiInputError("scrap_reasons", f"add up to {scrapped}, more than {self.scrap}")

    def _check_standard(self) -> None:
        standard = self.ideal_seconds_per_unit
        if standard is not None:
            if not isinstance(standard, Decimal):
                standard = Decimal(str(standard))
                object.__setattr__(self, "ideal_seconds_per_unit", standard)
            if not standard.is_finite() or standard < 0:
                raise KpiInputError(
                    "ideal_seconds_per_unit", f"{standard} is not a number of seconds"
                )
        if self.produced and not standard:
            raise KpiInputError(
                "ideal_seconds_per_unit",
                "is needed (more than 0) when the interval produced units",
            )

    @property
    def seconds(self) -> Decimal:
        return seconds(self.start, self.end)


@dataclass(frozen=True)
class Downtime:
    """One bar of the downtime Pareto: busy seconds lost to a state and reason."""

    state: MachineState
    reason: str
    seconds: Decimal
    share: Decimal
    cumulative_share: Decimal


@dataclass(frozen=True)
class ScrapLoss:
    """One bar of the scrap Pareto: units scrapped for a reason."""

    reason: str
    quantity: int
    share: Decimal
    cumulative_share: Decimal


@dataclass(frozen=True)
class OeeFigures:
    """The four ratios, the times (seconds) and quantities behind them, and the losses.

    ``downtime`` and ``scrap_reasons`` are Paretos: largest first (ties: setup before the
    stops in :class:`MachineState` order, then reasons alphabetically), each bar with its share
    of the whole and the cumulative share.
    """

    planned_busy_seconds: Decimal
    production_seconds: Decimal
    setup_seconds: Decimal
    stop_seconds: Decimal
    planned_stop_seconds: Decimal
    planned_run_seconds: Decimal
    produced: int
    good: int
    scrap: int
    availability: Decimal | None
    effectiveness: Decimal | None
    quality: Decimal | None
    oee: Decimal | None
    target: Decimal
    met: bool | None
    downtime: tuple[Downtime, ...]
    scrap_reasons: tuple[ScrapLoss, ...]


def check_overlaps(records: Sequence[StateRecord]) -> None:
    """Raise :class:`KpiInputError` for the first interval that overlaps another one.

    ``index`` is the later of the two in the sequence; ``related`` the one it overlaps.
    Touching intervals (one ends when the next starts) do not overlap.
    """
    timelines = grouped(range(len(records)), lambda i: (records[i].work_center, records[i].machine))
    clashes: list[tuple[int, int]] = []
    for positions in timelines.values():
        positions.sort(key=lambda i: (records[i].start, records[i].end, i))
        latest = None  # the position, so far, of the interval that ends last
        for position in positions:
            if latest is not None and records[position].start < records[latest].end:
                clashes.append((max(position, latest), min(position, latest)))
            if latest is None or records[position].end > records[latest].end:
                latest = position
    if clashes:
        index, related = min(clashes)
        record = records[index]
        where = f"work centre {record.work_center}" + (
            f", machine {record.machine}" if record.machine else ""
        )
        raise KpiInputError(
            "start",
            f"[{record.start.isoformat()}, {record.end.isoformat()}) overlaps {{related}} on "
            f"{where}; a machine is in one state at a time",
            index=index,
            related=related,
        )


class _Sums:
    """Times and quantities of a group, added up record by record."""

    def __init__(self) -> None:
        self.by_state = {state: Decimal(0) for state in MachineState}
        self.planned_run = Decimal(0)
        self.produced = 0
        self.scrap = 0
        self.downtime: dict[tuple[MachineState, str], Decimal] = {}
        self.scrapped: dict[str, int] = {}

    def add(self, record: StateRecord) -> None:
        length = record.seconds
        self.by_state[record.state] += length
        if record.state is MachineState.PRODUCING:
            self.produced += record.produced
            self.scrap += record.scrap
            if record.produced:
                assert record.ideal_seconds_per_unit is not None  # checked at construction
                self.planned_run += record.ideal_seconds_per_unit * record.produced
            given = 0
            for reason, quantity in record.scrap_reasons.items():
                if quantity:
                    self.scrapped[reason] = self.scrapped.get(reason, 0) + quantity
                    given += quantity
            if record.scrap > given:
                self.scrapped[""] = self.scrapped.get("", 0) + record.scrap - given
        elif record.state is not MachineState.PLANNED_STOP:
            key = (record.state, record.reason)
            self.downtime[key] = self.downtime.get(key, Decimal(0)) + length

    def figures(self, target: Decimal) -> OeeFigures:
        production = self.by_state[MachineState.PRODUCING]
        setup = self.by_state[MachineState.SETUP]
        stops = sum((self.by_state[state] for state in UNPLANNED_STOPS), Decimal(0))
        busy = production + setup + stops
        good = self.produced - self.scrap
        availability = ratio(production, busy)
        effectiveness = ratio(self.planned_run, production)
        quality = ratio(good, self.produced)
        if not busy:
            oee = None
        elif availability and effectiveness and quality:
            oee = availability * effectiveness * quality
        else:
            oee = Decimal(0)
        return OeeFigures(
            planned_busy_seconds=busy,
            production_seconds=production,
            setup_seconds=setup,
            stop_seconds=stops,
            planned_stop_seconds=self.by_state[MachineState.PLANNED_STOP],
            planned_run_seconds=self.planned_run,
            produced=self.produced,
            good=good,
            scrap=self.scrap,
            availability=availability,
            effectiveness=effectiveness,
            quality=quality,
            oee=oee,
            target=target,
            met=reached(oee, target),
            downtime=self._downtime(),
            scrap_reasons=self._scrap(),
        )

    def _downtime(self) -> tuple[Downtime, ...]:
        bars = sorted(
            ((key, length) for key, length in self.downtime.items() if length),
            key=lambda bar: (-bar[1], _STATE_ORDER[bar[0][0]], bar[0][1]),
        )
        return tuple(
            Downtime(state, reason, length, share, cumulative)
            for ((state, reason), length), (share, cumulative) in zip(
                bars, shares([length for _, length in bars]), strict=True
            )
        )

    def _scrap(self) -> tuple[ScrapLoss, ...]:
        bars = sorted(self.scrapped.items(), key=lambda bar: (-bar[1], bar[0]))
        return tuple(
            ScrapLoss(reason, quantity, share, cumulative)
            for (reason, quantity), (share, cumulative) in zip(
                bars, shares([Decimal(quantity) for _, quantity in bars]), strict=True
            )
        )


def _sum(records: Iterable[StateRecord], target: Decimal) -> OeeFigures:
    sums = _Sums()
    for record in records:
        sums.add(record)
    return sums.figures(target)


def oee(records: Sequence[StateRecord], *, target: Decimal = OEE_TARGET) -> OeeFigures:
    """OEE of all the records together: times and quantities summed, then divided once."""
    target = fraction(target, "target")
    check_overlaps(records)
    return _sum(records, target)


def by_work_center(record: StateRecord) -> str:
    return record.work_center


@overload
def oee_by(
    records: Sequence[StateRecord], *, target: Decimal = OEE_TARGET
) -> dict[str, OeeFigures]: ...


@overload
def oee_by(
    records: Sequence[StateRecord],
    key: Callable[[StateRecord], K],
    *,
    target: Decimal = OEE_TARGET,
) -> dict[K, OeeFigures]: ...


def oee_by(
    records: Sequence[StateRecord],
    key: Callable[[StateRecord], Any] = by_work_center,
    *,
    target: Decimal = OEE_TARGET,
) -> dict[Any, OeeFigures]:
    """OEE per ``key(record)`` (default: per work centre), in the order keys first appear.

    ``key=lambda r: (r.work_center, r.tags["shift"])`` gives per centre and shift;
    ``key=lambda r: r.start.astimezone(zone).date()`` per day.
    """
    target = fraction(target, "target")
    check_overlaps(records)
    return {group: _sum(members, target) for group, members in grouped(records, key).items()}
