"""The simulated factory: calendars, machines that break down, scrap, and the plan executed.

Pure (no Django). Time is integer minutes from the first simulated day's midnight in the
scenario's time zone, the scheduling engine's unit (``omnioms.planning.model``).

Each day the policy's plan is executed in order of planned start: an operation starts when its
machine is free, its predecessor has finished and the machine is in working time, never before
today; it takes its standard time divided by the work centre's speed (each run drawn around
it), the machine breaks down after an exponential number of working hours (MTBF) and is
repaired in an exponential time (MTTR); each unit is scrapped with the scrap rate. An
operation started today runs to its end (its end is then known and held in later plans); what
has not started by the end of today is planned again tomorrow. What the machines did is
written as ISO 22400 state records (producing, setup, breakdown), split at the working windows,
for the KPI engine.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np

from omnioms.kpi import MachineState, StateRecord
from omnioms.planning.calendar import Calendar
from omnioms.simulation.scenario import Scenario, WorkCenter

DAY = 1440


def working_windows(scenario: Scenario, days: int) -> list[tuple[int, int]]:
    """Regular working windows of the first ``days`` days (minutes from the start)."""
    cal = scenario.calendar
    holidays = set(cal.holidays)
    out: list[tuple[int, int]] = []
    for n in range(days):
        day = scenario.start + timedelta(days=n)
        if day.isoweekday() not in cal.weekdays or day in holidays:
            continue
        for shift in cal.shifts:
            begin = shift.start.hour * 60 + shift.start.minute
            end = shift.end.hour * 60 + shift.end.minute
            if end <= begin:
                end += DAY
            out.append((n * DAY + begin, n * DAY + end))
    return out


@dataclass
class Machine:
    center: WorkCenter
    index: int
    free_at: int = 0
    family: str | None = None
    to_failure: float = 0.0
    """Working minutes until the next breakdown."""


@dataclass
class OpState:
    center: str
    minutes_per_unit: float
    start: int | None = None
    end: int | None = None
    machine: int | None = None


@dataclass
class WorkOrder:
    id: str
    sku: str
    family: str
    quantity: int
    due: int
    weight: int
    ops: list[OpState]
    released: int
    """Minute the materials were issued (the order may start)."""
    good: int = 0
    """Units through the operations done so far (scrap taken off)."""
    done: bool = False
    customer: bool = False
    material_cost: float = 0.0

    def next_op(self) -> int | None:
        for i, op in enumerate(self.ops):
            if op.start is None:
                return i
        return None


@dataclass
class Clock:
    """Minutes <-> aware datetimes in the scenario's time zone."""

    start: date
    zone: ZoneInfo

    @property
    def origin(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=self.zone)

    def at(self, minute: int) -> datetime:
        return self.origin + timedelta(minutes=minute)

    def day(self, minute: int) -> date:
        return self.start + timedelta(days=minute // DAY)


@dataclass
class Floor:
    scenario: Scenario
    rng: np.random.Generator
    windows: dict[str, list[tuple[int, int]]]
    clock: Clock
    machines: dict[tuple[str, int], Machine] = field(default_factory=dict)
    records: list[StateRecord] = field(default_factory=list)
    overtime_minutes: float = 0.0
    overtime_by_day: dict[date, float] = field(default_factory=dict)
    _regular_end: dict[str, set[int]] = field(default_factory=dict)

    @classmethod
    def build(cls, scenario: Scenario, rng: np.random.Generator, clock: Clock) -> Floor:
        regular = working_windows(scenario, scenario.days + 200)
        floor = cls(scenario, rng, {w.code: list(regular) for w in scenario.work_centers}, clock)
        for wc in scenario.work_centers:
            for m in range(wc.machines):
                machine = Machine(wc, m)
                machine.to_failure = float(rng.exponential(wc.mtbf_hours * 60))
                floor.machines[wc.code, m] = machine
        return floor

    def calendar(self, code: str, since: int, until: int) -> Calendar:
        windows = self.windows[code]
        first = bisect_right(windows, (since, since)) - 1
        last = bisect_right(windows, (until, until))
        return Calendar(code, tuple(windows[max(0, first) : last]))

    def add_overtime(self, code: str, day: int) -> bool:
        """Work ``overtime_hours`` after the last shift of day ``day`` (False when none)."""
        hours = self.scenario.calendar.overtime_hours
        windows = self.windows[code]
        todays = [w for w in windows if day * DAY <= w[0] < (day + 1) * DAY]
        if not hours or not todays or todays[-1][1] - todays[-1][0] > 600:
            return False
        last = todays[-1]
        extended = (last[0], min(last[1] + int(hours * 60), (day + 1) * DAY))
        windows[windows.index(last)] = extended
        wc = next(w for w in self.scenario.work_centers if w.code == code)
        added = (extended[1] - last[1]) * wc.machines / 60
        self.overtime_minutes += added * 60
        when = self.clock.day(day * DAY)
        self.overtime_by_day[when] = self.overtime_by_day.get(when, 0) + added
        # an extended window is marked so the next call does not extend it again
        self._regular_end.setdefault(code, set()).add(day)
        return True

    def has_overtime(self, code: str, day: int) -> bool:
        return day in self._regular_end.get(code, set())

    # -- working time ---------------------------------------------------------------------

    def _segments(self, code: str, start: int, minutes: float) -> tuple[list[tuple[int, int]], int]:
        """Clock segments covering ``minutes`` of working time from ``start``; and the end."""
        windows = self.windows[code]
        k = bisect_right(windows, (start, 10**12)) - 1
        if k < 0 or windows[k][1] <= start:
            k += 1
        left = minutes
        now = start
        segments: list[tuple[int, int]] = []
        while left > 0 and k < len(windows):
            w0, w1 = windows[k]
            now = max(now, w0)
            take = min(left, w1 - now)
            end = now + round(take) if take < left else now + max(1, round(take))
            end = min(end, w1)
            if end > now:
                segments.append((now, end))
            left -= take
            now = end
            if left > 0:
                k += 1
        return segments, now

    def next_working(self, code: str, minute: int) -> int | None:
        windows = self.windows[code]
        k = bisect_right(windows, (minute, 10**12)) - 1
        if k >= 0 and windows[k][0] <= minute < windows[k][1]:
            return minute
        return windows[k + 1][0] if k + 1 < len(windows) else None

    # -- one operation --------------------------------------------------------------------

    def run(self, order: WorkOrder, index: int, machine: Machine, start: int) -> int:
        """Run operation ``index`` of ``order`` on ``machine`` from ``start``; return its end."""
        op = order.ops[index]
        wc = machine.center
        tags = {"sku": order.sku}
        now = start
        if machine.family is not None and machine.family != order.family and wc.setup_minutes:
            segs, now = self._segments(wc.code, now, wc.setup_minutes)
            self._record(wc, machine, segs, MachineState.SETUP, reason="changeover", tags=tags)
        machine.family = order.family
        quantity = order.good if index else order.quantity
        speed = wc.speed * float(self.rng.uniform(0.97, 1.03))
        work = quantity * op.minutes_per_unit / speed
        scrap = int(self.rng.binomial(quantity, wc.scrap_rate)) if wc.scrap_rate else 0
        ideal = Decimal(str(round(op.minutes_per_unit * 60, 3)))
        produced_segments: list[tuple[int, int]] = []
        while work > 0:
            chunk = min(work, machine.to_failure)
            segs, now = self._segments(wc.code, now, chunk)
            produced_segments.extend(segs)
            work -= chunk
            machine.to_failure -= chunk
            if machine.to_failure <= 0:
                repair = max(5.0, float(self.rng.exponential(wc.mttr_hours * 60)))
                if produced_segments:
                    self._producing(wc, machine, produced_segments, 0, 0, ideal, tags)
                    produced_segments = []
                segs, now = self._segments(wc.code, now, repair)
                self._record(wc, machine, segs, MachineState.BREAKDOWN, reason="failure", tags=tags)
                machine.to_failure = float(self.rng.exponential(wc.mtbf_hours * 60))
        self._producing(wc, machine, produced_segments, quantity, scrap, ideal, tags)
        op.start, op.end, op.machine = start, now, machine.index
        order.good = quantity - scrap
        machine.free_at = now
        return now

    def _producing(
        self,
        wc: WorkCenter,
        machine: Machine,
        segments: list[tuple[int, int]],
        produced: int,
        scrap: int,
        ideal: Decimal,
        tags: dict[str, str],
    ) -> None:
        # the units are shared among the segments by their length, so that a month's (or a
        # shift's) figures hold the units made in it (the rounding's rest in the last); the
        # scrap is counted where most units were made (all in the last if it does not fit)
        total = sum(b - a for a, b in segments) or 1
        shares = [produced * (b - a) // total for a, b in segments]
        if shares:
            shares[-1] += produced - sum(shares)
        biggest = max(range(len(shares)), key=lambda i: shares[i], default=0)
        if shares and shares[biggest] < scrap:
            shares = [0] * (len(shares) - 1) + [produced]
            biggest = len(shares) - 1
        for n, (a, b) in enumerate(segments):
            self._append(
                wc,
                machine,
                a,
                b,
                MachineState.PRODUCING,
                produced=shares[n],
                scrap=scrap if n == biggest else 0,
                ideal=ideal,
                tags=tags,
            )

    def _record(
        self,
        wc: WorkCenter,
        machine: Machine,
        segments: list[tuple[int, int]],
        state: MachineState,
        *,
        reason: str,
        tags: dict[str, str],
    ) -> None:
        for a, b in segments:
            self._append(wc, machine, a, b, state, reason=reason, tags=tags)

    def _append(
        self,
        wc: WorkCenter,
        machine: Machine,
        a: int,
        b: int,
        state: MachineState,
        *,
        produced: int = 0,
        scrap: int = 0,
        ideal: Decimal | None = None,
        reason: str = "",
        tags: dict[str, str],
    ) -> None:
        if b <= a:
            return
        start = self.clock.at(a)
        self.records.append(
            StateRecord(
                work_center=wc.code,
                machine=str(machine.index),
                start=start,
                end=self.clock.at(b),
                state=state,
                produced=produced,
                scrap=scrap,
                ideal_seconds_per_unit=ideal if produced else None,
                reason=reason,
                tags={**tags, "month": f"{start:%Y-%m}"},
            )
        )
