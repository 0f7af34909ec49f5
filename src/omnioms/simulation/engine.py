"""The simulated year: the day loop and the policies that plan it (docs/simulation.md).

:class:`Simulation` runs a scenario under one policy, one day at a time on a simulated clock:

1. purchases due today arrive;
2. the day's customer orders arrive (through :class:`Company`, the real intake when a database
   is attached); rush requests are accepted or declined by the policy;
3. the policy plans: forecasts and requirements (omnioms), reorder points or make to order
   (the baselines), releasing work orders and purchases;
4. work orders whose materials are on hand are released to the floor (materials issued);
5. the scheduling engine plans the open work orders (:meth:`Policy.schedule`), overtime is
   called where orders would be late, and the floor executes today's part of the plan
   (``floor.py``: breakdowns, speed, scrap);
6. finished work orders go into stock; orders are shipped from stock, earliest due first;
7. stock is valued (finished goods, work in progress, materials) for the inventory days.

Everything a day does depends only on today's state, so a day costs the same on day 300 as on
day 3. The policies call the real planning code: the forecasting engine
(``forecasting.engine.forecast``), net requirements (``planning.requirements``) and the
scheduling engine (``planning.scheduling`` / ``planning.dispatching``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from statistics import NormalDist
from typing import Protocol
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from omnioms.forecasting.calendar import Event
from omnioms.kpi import StateRecord
from omnioms.planning.dispatching import Rule, dispatch
from omnioms.planning.model import Fixed, Operation, Order, Plan, Problem, Settings, WorkCenter
from omnioms.planning.moves import insert_order
from omnioms.planning.scheduling import best_of, schedule
from omnioms.simulation import POLICIES
from omnioms.simulation.demand import CustomerOrder, DemandModel, festivals_with_history
from omnioms.simulation.floor import DAY, Clock, Floor, OpState, WorkOrder
from omnioms.simulation.scenario import Festival, Product, Scenario

OMNIOMS_RULES: tuple[Rule, ...] = ("edd", "mwkr", "atc")
RUSH_SECONDS = 1.0
"""Solver time of a rush order's what-if."""
MAX_COVER = 180.0
"""Days of use a material lot covers at most (half a year)."""
MAX_FG_COVER = 90.0
CHEAP_MATERIALS = 0.25
"""Materials below this share of the standard cost cannot hold the inventory target."""
"""The scheduling engine's rules omnioms takes the best plan of (weighted tardiness)."""
DUE_MINUTE = 17 * 60
"""A due day's orders are due at 17:00 (the end of the day shift)."""
WHOLESALE_EARLY_DAYS = 3
"""Wholesale orders leave at most this many days before their due date."""
MAX_ORDER_MINUTES = 960
"""A work order is cut so that its longest operation is at most two shifts of one machine."""


class Factory(Protocol):
    """The omnioms policy's factory through the planning and floor services (``production.py``)."""

    replan: bool

    def arrived(self, material: str, quantity: float, day: date) -> None: ...

    def released(self, wo: WorkOrder, needs: dict[str, float], today: date) -> None: ...

    def plan(self, minute: int) -> None: ...

    def priorities(self, operations: dict[str, int]) -> dict[str, float]: ...

    def ran(self, wo: WorkOrder, index: int, records: list[StateRecord], scrap: int) -> None: ...

    def report_until(self, minute: int) -> None: ...

    def close(self, day: date, minute: int) -> None: ...


class Company(Protocol):
    """The omnioms side of the company: orders in through the intake, shipments out."""

    def receive(self, orders: list[CustomerOrder], day: date) -> None: ...

    def ship(self, orders: list[CustomerOrder], day: date) -> None: ...

    def produced(self, sku: str, quantity: int, day: date) -> None: ...


@dataclass
class Purchase:
    material: str
    quantity: float
    arrives: date


@dataclass
class OpenOrder:
    order: CustomerOrder
    shipped: date | None = None


@dataclass
class Outcome:
    """What happened, as the KPI engines read it."""

    policy: str
    scenario: Scenario
    orders: list[OpenOrder]
    floor: Floor
    snapshots: list[tuple[date, str, float]]
    cogs_by_day: dict[date, float]
    forecasts: list[tuple[str, date, float, float]]
    """(sku, month, forecast, actual) of the month each forecast run was made for."""
    rush_requested: int = 0
    rush_accepted: int = 0
    stockout_days: dict[date, int] = field(default_factory=dict)
    work_orders: int = 0
    purchases: int = 0
    seconds_planning: float = 0.0


class Simulation:
    def __init__(
        self,
        scenario: Scenario,
        policy: str,
        *,
        days: int | None = None,
        company: Company | None = None,
        factory: Factory | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        if policy not in POLICIES:
            raise ValueError(f"policy: {policy!r} is not one of {', '.join(POLICIES)}")
        self.scenario = scenario
        self.days = min(days or scenario.days, scenario.days)
        self.company = company
        self.factory = factory if policy == "omnioms" else None
        """The production side in the database (the omnioms policy only; ``production.py``)."""
        self.progress = progress
        self.rng = np.random.default_rng(scenario.seed)
        # demand is drawn from its own stream: every policy sees the same customers
        self.demand = DemandModel(scenario, scenario.seed)
        self.history = self.demand.history()
        self.clock = Clock(scenario.start, ZoneInfo(scenario.time_zone))
        self.floor = Floor.build(scenario, np.random.default_rng(scenario.seed + 1), self.clock)
        self.products = {p.sku: p for p in scenario.products}
        self.materials = {m.code: m for m in scenario.materials}
        self.suppliers = {s.code: s for s in scenario.suppliers}
        self.fg: dict[str, int] = {p.sku: int(p.opening_stock) for p in scenario.products}
        self.stock: dict[str, float] = {m.code: m.opening_stock for m in scenario.materials}
        self.open: list[OpenOrder] = []
        self.closed: list[OpenOrder] = []
        self.pending: list[WorkOrder] = []
        """Work orders waiting for their materials."""
        self.released: list[WorkOrder] = []
        self.purchases: list[Purchase] = []
        self.sales: list[tuple[str, date, int]] = []
        self.usage: dict[str, list[float]] = defaultdict(list)
        self.outcome = Outcome(policy, scenario, [], self.floor, [], {}, [])
        self._wo = 0
        self.now_minute = 0
        """The minute the day's plan is made from (the scheduling engine's "now")."""
        self.policy = make_policy(policy, self)

    # -- helpers the policies use ---------------------------------------------------------

    def minute(self, day: date) -> int:
        return (day - self.scenario.start).days * DAY

    def sales_frame(self) -> pd.DataFrame:
        recent = pd.DataFrame(self.sales, columns=["sku", "date", "quantity"])
        frame = (
            pd.concat([self.history, recent], ignore_index=True) if len(recent) else self.history
        )
        return frame.groupby(["sku", "date"], as_index=False)["quantity"].sum()

    def average_daily(self, sku: str, today: date, days: int = 90) -> float:
        frame = self._recent(today, days)
        return float(frame.get(sku, 0)) / days

    def _recent(self, today: date, days: int) -> dict[str, float]:
        since = today - timedelta(days=days)
        totals: dict[str, float] = defaultdict(float)
        for sku, day, q in self.sales[::-1]:
            if day < since:
                break
            totals[sku] += q
        if today - timedelta(days=days) < self.scenario.start:
            h = self.history
            part = h[h["date"] >= since]
            for sku, q in part.groupby("sku")["quantity"].sum().items():
                totals[str(sku)] += float(q)
        return totals

    def committed(self, sku: str) -> int:
        return sum(o.order.quantity for o in self.open if o.order.sku == sku)

    def in_work(self, sku: str) -> int:
        return sum(
            w.quantity for w in (*self.pending, *self.released) if w.sku == sku and not w.done
        )

    def on_order(self, material: str) -> float:
        return sum(p.quantity for p in self.purchases if p.material == material)

    def lead_days(self, product: Product, lot: float | None = None) -> int:
        """Production lead time in days (queue allowance included).

        Without ``lot``: the master-data figure of a minimum lot on one machine. With it: the
        lot through its busiest work centre with all its machines at 70 % (capacity shared
        with the other products), plus the queue allowance.
        """
        if lot is None:
            longest = max(step.minutes_per_unit for step in product.routing)
            lot = max(product.min_lot, 1)
            return 2 + math.ceil(min(lot * longest, MAX_ORDER_MINUTES) / 480)
        centers = {wc.code: wc for wc in self.scenario.work_centers}
        slowest = max(
            step.minutes_per_unit
            / (centers[step.work_center].machines * centers[step.work_center].speed)
            for step in product.routing
        )
        return 2 + math.ceil(lot * slowest / (480 * 0.7))

    def new_work_orders(
        self, sku: str, quantity: int, due: date, *, weight: int = 1, customer: bool = False
    ) -> list[WorkOrder]:
        product = self.products[sku]
        longest = max(step.minutes_per_unit for step in product.routing)
        chunk = max(1, int(MAX_ORDER_MINUTES // longest))
        chunk = max(chunk, int(product.min_lot)) if quantity >= product.min_lot else chunk
        made = []
        left = quantity
        while left > 0:
            q = min(left, chunk)
            left -= q
            self._wo += 1
            wo = WorkOrder(
                id=f"WO{self._wo:06d}",
                sku=sku,
                family=product.family,
                quantity=q,
                due=self.minute(due) + DUE_MINUTE,
                weight=weight,
                ops=[OpState(s.work_center, s.minutes_per_unit) for s in product.routing],
                released=-1,
                customer=customer,
            )
            self.pending.append(wo)
            made.append(wo)
        self.outcome.work_orders += len(made)
        return made

    def buy(self, material: str, quantity: float, today: date) -> None:
        m = self.materials[material]
        supplier = self.suppliers[m.supplier]
        late = int(self.rng.integers(0, supplier.lead_time_spread_days + 1))
        quantity = max(quantity, m.min_order)
        self.purchases.append(
            Purchase(material, quantity, today + timedelta(days=supplier.lead_time_days + late))
        )
        self.outcome.purchases += 1

    def problem(
        self, orders: list[WorkOrder], since: int, extra: WorkOrder | None = None
    ) -> Problem:
        horizon = since + 120 * DAY
        centers = tuple(
            WorkCenter(
                wc.code,
                machines=wc.machines,
                calendar=self.floor.calendar(wc.code, since, horizon),
                default_setup=int(wc.setup_minutes),
            )
            for wc in self.scenario.work_centers
        )
        speed = {wc.code: wc.speed for wc in self.scenario.work_centers}
        problem_orders = []
        for wo in [*orders, *([extra] if extra else [])]:
            ops = []
            release = max(since, wo.released)
            for i, op in enumerate(wo.ops):
                if op.end is not None and op.end <= since:
                    release = max(release, op.end)
                    continue
                quantity = wo.good if i else wo.quantity
                minutes = max(1, round(quantity * op.minutes_per_unit / speed[op.center]))
                fixed = None
                if op.start is not None and op.end is not None and op.machine is not None:
                    fixed = Fixed(op.center, op.machine, op.start, op.end)
                    release = min(release, op.start)
                ops.append(
                    Operation(f"{wo.id}/{i}", {op.center: minutes}, family=wo.family, fixed=fixed)
                )
            if ops:
                problem_orders.append(
                    Order(wo.id, tuple(ops), due=wo.due, weight=wo.weight, release=release)
                )
        return Problem(centers, tuple(problem_orders))

    # -- the day --------------------------------------------------------------------------

    def run(self) -> Outcome:
        import time as _time

        for n in range(self.days):
            today = self.scenario.start + timedelta(days=n)
            self._arrivals(today)
            new = self.demand.day(today)
            self._take_orders(new, today)
            began = _time.perf_counter()
            self.policy.plan(today, new)
            self._release(today)
            self._execute(n, today)
            self.outcome.seconds_planning += _time.perf_counter() - began
            if self.factory is not None:
                self.factory.report_until((n + 1) * DAY)
            self._finish(n, today)
            self._ship(today)
            if self.factory is not None:
                self.factory.close(today, (n + 1) * DAY - 1)
            self._value(today)
            if self.progress is not None:
                self.progress(n + 1, self.days)
        self.outcome.orders = [*self.closed, *self.open]
        self.outcome.forecasts = self._forecast_pairs()
        return self.outcome

    def _forecast_pairs(self) -> list[tuple[str, date, float, float]]:
        forecast = getattr(self.policy, "monthly_forecast", {})
        end = self.scenario.start + timedelta(days=self.days)
        actual: dict[tuple[str, date], float] = defaultdict(float)
        for sku, day, q in self.sales:
            actual[sku, day.replace(day=1)] += q
        pairs = []
        for (sku, month), value in sorted(forecast.items()):
            month_end = (month + timedelta(days=32)).replace(day=1)
            if month_end <= end:
                pairs.append((sku, month, value, actual.get((sku, month), 0.0)))
        return pairs

    def _arrivals(self, today: date) -> None:
        arrived = [p for p in self.purchases if p.arrives <= today]
        for p in arrived:
            self.stock[p.material] += p.quantity
            if self.factory is not None:
                self.factory.arrived(p.material, p.quantity, today)
        self.purchases = [p for p in self.purchases if p.arrives > today]

    def _take_orders(self, new: list[CustomerOrder], today: date) -> None:
        placed = []
        for order in new:
            if order.rush:
                self.outcome.rush_requested += 1
                if self.policy.accept_rush(order, today):
                    self.outcome.rush_accepted += 1
                else:
                    # declined: the customer takes the usual date
                    channel = next(c for c in self.scenario.channels if c.code == order.channel)
                    usual = channel.due_days[0] if order.wholesale else channel.promise_days
                    order = CustomerOrder(
                        **{**order.__dict__, "rush": False, "due": today + timedelta(days=usual)}
                    )
            placed.append(order)
            self.open.append(OpenOrder(order))
            self.sales.append((order.sku, today, order.quantity))
        if self.company is not None and placed:
            self.company.receive(placed, today)

    def _release(self, today: date) -> None:
        """Issue materials to waiting work orders, earliest due first, when all are on hand."""
        self.pending.sort(key=lambda w: (w.due, w.id))
        still = []
        for wo in self.pending:
            product = self.products[wo.sku]
            needs = {line.material: line.quantity * wo.quantity for line in product.bom}
            if all(self.stock[m] + 1e-9 >= q for m, q in needs.items()):
                for m, q in needs.items():
                    self.stock[m] -= q
                    self.usage[m].append(q)
                wo.material_cost = sum(self.materials[m].unit_cost * q for m, q in needs.items())
                wo.released = self.minute(today)
                self.released.append(wo)
                if self.factory is not None:
                    self.factory.released(wo, needs, today)
            else:
                still.append(wo)
        self.pending = still

    def _execute(self, n: int, today: date) -> None:
        since = n * DAY
        active = [w for w in self.released if not w.done]
        if not active:
            return
        self.now_minute = since
        plan = self.policy.schedule(self.problem(active, since))
        # overtime where an order would be late and today's work allows it
        by_id = {w.id: w for w in active}
        late = self.policy.overtime_for(
            [by_id[o.order] for o in plan.orders if o.tardiness > 0], today
        )
        if late:
            centers = {
                op.work_center
                for op in plan.operations
                if op.order in late and op.start < since + DAY
            }
            for code in centers:
                self.floor.add_overtime(code, n)
        end_of_day = since + DAY
        for op in sorted(plan.operations, key=lambda o: (o.start, o.operation)):
            wo = by_id[op.order]
            index = int(op.operation.rsplit("/", 1)[1])
            state = wo.ops[index]
            if state.start is not None or op.start >= end_of_day:
                continue
            if index and wo.ops[index - 1].end is None:
                continue  # its predecessor has not started: tomorrow
            machine = self.floor.machines[op.work_center, op.machine]
            ready = max(
                since, machine.free_at, wo.released, wo.ops[index - 1].end or 0 if index else 0
            )
            start = self.floor.next_working(op.work_center, ready)
            if start is None or start >= end_of_day:
                continue
            before, came = len(self.floor.records), wo.good if index else wo.quantity
            self.floor.run(wo, index, machine, start)
            if self.factory is not None:
                self.factory.ran(wo, index, self.floor.records[before:], came - wo.good)

    def _finish(self, n: int, today: date) -> None:
        end_of_day = (n + 1) * DAY
        for wo in self.released:
            last = wo.ops[-1]
            if not wo.done and last.end is not None and last.end <= end_of_day:
                wo.done = True
                self.fg[wo.sku] += wo.good
                if self.company is not None and self.factory is None and wo.good:
                    # with a factory, the last operation's finish report received them
                    self.company.produced(wo.sku, wo.good, today)
        self.released = [w for w in self.released if not w.done]

    def _ship(self, today: date) -> None:
        self.open.sort(key=lambda o: (o.order.due, -o.order.weight, o.order.number))
        shipped: list[CustomerOrder] = []
        waiting: dict[str, int] = defaultdict(int)
        still = []
        cogs = 0.0
        for item in self.open:
            order = item.order
            early = order.wholesale and (order.due - today).days > WHOLESALE_EARLY_DAYS
            if not early and self.fg[order.sku] >= order.quantity:
                self.fg[order.sku] -= order.quantity
                item.shipped = today
                shipped.append(order)
                self.closed.append(item)
                cogs += order.quantity * self.products[order.sku].unit_cost
            else:
                if not early:
                    waiting[order.sku] += 1
                still.append(item)
        self.open = still
        self.outcome.cogs_by_day[today] = cogs
        out = sum(1 for sku, count in waiting.items() if count and self.fg[sku] == 0)
        # a stock-out day: a SKU with orders waiting and nothing on the shelf
        self.outcome.stockout_days[today] = (
            sum(
                1
                for sku in waiting
                if self.fg[sku] < min(o.order.quantity for o in self.open if o.order.sku == sku)
            )
            if waiting
            else 0
        )
        del out
        if self.company is not None and shipped:
            self.company.ship(shipped, today)

    def _value(self, today: date) -> None:
        fg = sum(self.fg[s] * p.unit_cost for s, p in self.products.items())
        materials = sum(self.stock[c] * m.unit_cost for c, m in self.materials.items())
        wip = sum(w.material_cost for w in self.released if not w.done)
        self.outcome.snapshots.extend(
            [
                (today, "finished_goods", fg),
                (today, "work_in_progress", wip),
                (today, "materials", materials),
            ]
        )


# -- policies --------------------------------------------------------------------------------


class Policy(ABC):
    """How a company decides: what to make and when (``plan``), which rush orders it takes
    and where it spends overtime."""

    name = ""
    rule: Rule = "edd"

    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def accept_rush(self, order: CustomerOrder, today: date) -> bool:
        """Without a capacity check a sales desk says yes."""
        return True

    @abstractmethod
    def plan(self, today: date, new: list[CustomerOrder]) -> None:
        """Release and sequence the day's work orders for ``new`` customer orders."""

    def overtime_for(self, late: list[WorkOrder], today: date) -> set[str]:
        """The late work orders worth overtime today: without more insight, all of them."""
        return {w.id for w in late}

    def schedule(self, problem: Problem) -> Plan:
        return dispatch(problem, self.rule)

    # shared by the baselines: a reorder point from the trailing average
    def reorder_materials(self, today: date) -> None:
        sim = self.sim
        if (today - sim.scenario.start).days % 7:
            return
        use = self._material_usage(today)
        for code, m in sim.materials.items():
            supplier = sim.suppliers[m.supplier]
            daily = use.get(code, 0.0)
            lead = supplier.lead_time_days + supplier.lead_time_spread_days
            point = daily * (lead + 7)
            position = sim.stock[code] + sim.on_order(code)
            if position <= point:
                sim.buy(code, max(daily * 30, point - position), today)

    def _material_usage(self, today: date) -> dict[str, float]:
        sim = self.sim
        recent = sim._recent(today, 90)
        use: dict[str, float] = defaultdict(float)
        for sku, q in recent.items():
            for line in sim.products[sku].bom:
                use[line.material] += q * line.quantity / 90
        return use


class FifoMakeToOrder(Policy):
    """Make to order: each day's uncovered customer orders become work orders; FIFO dispatching."""

    name = "fifo-mto"
    rule: Rule = "fifo"

    def plan(self, today: date, new: list[CustomerOrder]) -> None:
        sim = self.sim
        self.reorder_materials(today)
        for sku in sim.products:
            uncovered = sim.committed(sku) - sim.fg[sku] - sim.in_work(sku)
            if uncovered > 0:
                due = min(o.order.due for o in sim.open if o.order.sku == sku)
                sim.new_work_orders(sku, uncovered, due, customer=True)


class ReorderPointEdd(Policy):
    """Reorder points from the trailing 90-day average; earliest-due-date dispatching."""

    name = "reorder-point-edd"
    rule: Rule = "edd"
    SAFETY_DAYS = 5
    ORDER_DAYS = 14

    def plan(self, today: date, new: list[CustomerOrder]) -> None:
        sim = self.sim
        self.reorder_materials(today)
        for sku, product in sim.products.items():
            daily = sim.average_daily(sku, today)
            lead = sim.lead_days(product)
            point = daily * (lead + self.SAFETY_DAYS)
            position = sim.fg[sku] + sim.in_work(sku) - sim.committed(sku)
            if position <= point:
                quantity = max(int(product.min_lot), math.ceil(daily * self.ORDER_DAYS))
                sim.new_work_orders(sku, quantity, today + timedelta(days=lead))


class Omnioms(Policy):
    """omnioms's planning: forecast runs, net requirements with safety stock, the scheduling
    engine, rush orders accepted after a capacity check."""

    name = "omnioms"

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.daily_forecast: dict[tuple[str, date], float] = {}
        self.monthly_forecast: dict[tuple[str, date], float] = {}
        s = sim.scenario
        self.events = [_event(f) for f in festivals_with_history(s)]
        self.cover = self._initial_cover()
        """Days of supply a material lot covers, so that stock sits at the benchmark's
        inventory days; finished-goods lots cover ``fg_cover`` days (level production)."""

    def _initial_cover(self) -> float:
        """Finished-goods lots of two review periods hold about a week of stock besides the
        safety stock; materials, at their share ``phi`` of the cost, hold the rest of the
        target: a lot of ``c`` days holds phi x c/2 days of cost of goods sold. Where the
        materials are too cheap to hold it (cosmetics: phi ~ 0.1) the finished-goods lots
        grow to hold the rest."""
        sim = self.sim
        weights = [p.demand.base * p.unit_cost for p in sim.products.values()]
        phi = sum(
            w
            * sum(sim.materials[line.material].unit_cost * line.quantity for line in p.bom)
            / p.unit_cost
            for w, p in zip(weights, sim.products.values(), strict=True)
        ) / max(sum(weights), 1e-9)
        target = sim.scenario.benchmark_inventory_days
        review = float(sim.scenario.planning.requirements_every_days)
        self.fg_cover = 2 * review
        rest = max(0.0, target - 7 - self.fg_cover / 2)
        if phi < CHEAP_MATERIALS:
            # half the lot the formula gives: festival pre-builds add their own stock; the
            # steering raises it when it is short
            self.fg_cover = max(2 * review, target - 7 - phi * MAX_COVER / 2)
            return MAX_COVER
        # started low (materials ordered now arrive a lead time later, so an overshoot
        # lasts); the steering below brings it to the target
        return max(review, min(2 * rest / max(phi, 0.05), 2 * rest))

    def _steer_cover(self, today: date) -> None:
        """At each requirements run: the last 28 days' inventory days against the target, the
        lots' cover corrected by the square root of the ratio (integral control): the
        materials' first, the finished goods' once the materials' is at its most (or back
        from it first when there is too much)."""
        sim = self.sim
        since = today - timedelta(days=28)
        values = [v for d, _, v in sim.outcome.snapshots if d >= since]
        cogs = sum(v for d, v in sim.outcome.cogs_by_day.items() if d >= since)
        if len(values) < 28 * 3 or cogs <= 0:
            return
        measured = (sum(values) / 28) / (cogs / 28)
        target = sim.scenario.benchmark_inventory_days
        ratio = max(0.5, min(2.0, target / max(measured, 1e-9)))
        least = 2.0 * sim.scenario.planning.requirements_every_days
        if ratio > 1 and self.cover >= MAX_COVER:
            self.fg_cover = min(MAX_FG_COVER, self.fg_cover * ratio**0.5)
        elif ratio < 1 and self.fg_cover > least:
            self.fg_cover = max(least, self.fg_cover * ratio**0.5)
        else:
            self.cover = max(7.0, min(MAX_COVER, self.cover * ratio**0.5))

    def accept_rush(self, order: CustomerOrder, today: date) -> bool:
        sim = self.sim
        free = sim.fg[order.sku] + sim.in_work(order.sku) - sim.committed(order.sku)
        if free >= order.quantity:
            return True
        # the scheduling engine's what-if: the released orders and this one, planned now
        since = sim.minute(today)
        trial = sim.new_work_orders(order.sku, order.quantity, order.due, weight=5, customer=True)
        sim.pending = [w for w in sim.pending if w not in trial]
        for wo in trial:
            wo.released = since
        due = sim.minute(order.due) + DUE_MINUTE
        materials_ok = all(
            sim.stock[line.material] >= line.quantity * order.quantity
            for line in sim.products[order.sku].bom
        )
        if materials_ok and self._fits(trial, since, due):
            sim.pending.extend(trial)
            if sim.factory is not None:
                sim.factory.replan = True  # a planning run with the rush order in it
            return True
        sim.outcome.work_orders -= len(trial)
        return False

    def _fits(self, trial: list[WorkOrder], since: int, due: int) -> bool:
        """The rush what-if of the scheduling engine (``moves.insert_order``): today's plan
        with the rush work orders planned in, operations started already held. Accepted when
        they finish by the date and no other order becomes late because of them."""
        sim = self.sim
        ids = {w.id for w in trial}
        active = [w for w in sim.released if not w.done]
        settings = Settings(time_limit=RUSH_SECONDS, workers=1)
        if active:
            problem = sim.problem(active, since)
            plan = best_of([dispatch(problem, rule) for rule in OMNIOMS_RULES])
        else:  # nothing planned: the rush orders alone
            problem = sim.problem(trial, since)
            plan = dispatch(problem, "edd")
            return all(o.completion <= due for o in plan.orders)
        made_late: set[str] = set()
        for wo in trial:
            rush = sim.problem([wo], since).orders[0]
            what_if = insert_order(problem, plan, rush, settings, frozen_until=since)
            problem = replace(problem, orders=(*problem.orders, rush))
            plan = what_if.after
            made_late |= {i.order for i in what_if.made_late} - ids
        ends = [o.completion for o in plan.orders if o.order in ids]
        return bool(ends) and max(ends) <= due and not made_late

    def plan(self, today: date, new: list[CustomerOrder]) -> None:
        sim = self.sim
        n = (today - sim.scenario.start).days
        planning = sim.scenario.planning
        if n % planning.forecast_every_days == 0 or not self.daily_forecast:
            self._forecast(today)
        if n % planning.requirements_every_days == 0:
            if n >= 28:
                self._steer_cover(today)
            self._requirements(today)
            if sim.factory is not None:
                sim.factory.replan = True  # the planning run follows the requirements run

    def _forecast(self, today: date) -> None:
        from omnioms.forecasting.engine import forecast

        sim = self.sim
        history = sim.sales_frame()
        history = history[history["date"] < today]
        result = forecast(history, months=3, events=self.events, last_day=today - timedelta(days=1))
        figures = result.figures
        for row in figures.itertuples(index=False):
            key = (str(row.sku), pd.Timestamp(row.period_start).date())
            if row.level == "day":
                self.daily_forecast[key] = float(row.quantity)
            elif row.level == "month" and key[1] > today:
                # a month is judged by the last forecast made before it began (lag 1)
                self.monthly_forecast[key] = float(row.quantity)

    def _requirements(self, today: date) -> None:
        from omnioms.planning.requirements import Demand, Item, Receipt, plan_requirements
        from omnioms.production.domain import BomItem

        sim = self.sim
        review = sim.scenario.planning.requirements_every_days
        horizon = 120
        z = NormalDist().inv_cdf(sim.scenario.planning.service_level)
        items: dict[str, Item] = {}
        recent = sim.sales_frame()
        recent = recent[recent["date"] >= today - timedelta(days=56)]
        ahead: dict[str, float] = defaultdict(float)
        for (sku, day), q in self.daily_forecast.items():
            if today <= day < today + timedelta(days=28):
                ahead[sku] += q / 28
        use: dict[str, float] = defaultdict(float)
        for sku, rate in ahead.items():
            for line in sim.products[sku].bom:
                use[line.material] += rate * line.quantity
        for sku, product in sim.products.items():
            lot = max(product.min_lot, ahead[sku] * self.fg_cover)
            lead = sim.lead_days(product, lot)
            daily = recent[recent["sku"] == sku].set_index("date")["quantity"]
            days = pd.date_range(today - timedelta(days=56), today - timedelta(days=1)).date
            series = np.array([float(daily.get(d, 0)) for d in days])
            sigma = float(series.std()) if len(series) else 0.0
            safety = z * sigma * math.sqrt(lead + review)
            items[sku] = Item(
                code=sku,
                made=True,
                lead_time_days=lead,
                on_hand=Decimal(sim.fg[sku]),
                safety_stock=Decimal(round(safety)),
                min_lot=Decimal(round(lot)),
            )
        for code, m in sim.materials.items():
            supplier = sim.suppliers[m.supplier]
            items[code] = Item(
                code=code,
                made=False,
                lead_time_days=supplier.lead_time_days + supplier.lead_time_spread_days,
                on_hand=Decimal(str(round(sim.stock[code], 3))),
                min_lot=Decimal(str(round(max(m.min_order, use[code] * self.cover), 3))),
                step=Decimal("0.001"),
            )
        boms = {
            sku: [BomItem(line.material, Decimal(str(line.quantity))) for line in p.bom]
            for sku, p in sim.products.items()
        }
        demands = [
            Demand(o.order.sku, o.order.due, Decimal(o.order.quantity), f"order:{o.order.number}")
            for o in sim.open
        ]
        last = today + timedelta(days=horizon)
        demands += [
            Demand(sku, day, Decimal(str(q)), "forecast")
            for (sku, day), q in self.daily_forecast.items()
            if today <= day < last and q > 0
        ]
        receipts = [
            Receipt(w.sku, sim.clock.day(w.due), Decimal(w.quantity), w.id)
            for w in (*sim.pending, *sim.released)
            if not w.done
        ]
        receipts += [
            Receipt(p.material, p.arrives, Decimal(str(p.quantity)), "po") for p in sim.purchases
        ]
        # materials already issued to work orders are not needed again
        plan = plan_requirements(items, boms, demands, receipts, today=today, horizon_days=horizon)
        window = today + timedelta(days=review)
        in_transit = {p.material for p in sim.purchases}
        for planned in plan.orders:
            if planned.start > window:
                continue
            quantity = float(planned.quantity)
            if planned.made:
                due = max(planned.due, today + timedelta(days=1))
                pegged = any(p.source.startswith("order:") for p in planned.pegs)
                sim.new_work_orders(
                    planned.sku,
                    math.ceil(quantity),
                    due,
                    weight=2 if pegged else 1,
                    customer=pegged,
                )
            elif planned.start >= today or planned.sku not in in_transit:
                sim.buy(planned.sku, quantity, today)
                in_transit.add(planned.sku)
            # A buy that should have started before today cannot arrive before a lead time
            # from now; when a purchase is already on its way, the shortage before it arrives
            # was acted on at an earlier run and buying again would only add a second lot
            # arriving with the first (the planned order is re-proposed by every run, since
            # the purchase counts where it arrives, after the shortage).

    def overtime_for(self, late: list[WorkOrder], today: date) -> set[str]:
        """Only work orders whose lateness reaches a customer: pegged to customer orders, or
        replenishing a SKU whose stock will not last the next two days' forecast."""
        sim = self.sim
        soon = (today, today + timedelta(days=1))
        urgent = set()
        for wo in late:
            need = sum(self.daily_forecast.get((wo.sku, day), 0.0) for day in soon)
            if wo.customer or sim.fg[wo.sku] - sim.committed(wo.sku) < need:
                urgent.add(wo.id)
        return urgent

    def schedule(self, problem: Problem) -> Plan:
        factory = self.sim.factory
        if factory is not None:
            # the planning app's run at the planning rhythm, published; each day the floor
            # works in the published plan's sequence
            if factory.replan:
                factory.plan(self.sim.now_minute)
            dues = {op.id: order.due for order in problem.orders for op in order.operations}
            return dispatch(problem, priorities=factory.priorities(dues))
        seconds = self.sim.scenario.planning.schedule_seconds
        if seconds > 0:
            return schedule(problem, Settings(time_limit=seconds, workers=1))
        return best_of([dispatch(problem, rule) for rule in OMNIOMS_RULES])


def _event(festival: Festival) -> Event:
    """A festival as the forecasting engine's event (its uplift is learned from history)."""
    return Event(name=festival.name, start=festival.start, end=festival.end, kind=festival.name)


_POLICY_CLASSES: dict[str, type[Policy]] = {
    "omnioms": Omnioms,
    "fifo-mto": FifoMakeToOrder,
    "reorder-point-edd": ReorderPointEdd,
}


def make_policy(name: str, sim: Simulation) -> Policy:
    return _POLICY_CLASSES[name](sim)
