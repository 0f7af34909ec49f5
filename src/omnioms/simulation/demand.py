"""Customer demand drawn from a scenario: pure, seeded, one day at a time.

A product's expected units on a day over all channels are

    base × (1 + trend × years since the start) × weekly[weekday] × monthly[month]

and each channel takes its ``share`` of them, multiplied by the uplift of any festival on that
day for that channel and product. The day's units are a gamma draw around that (coefficient of
variation ``rhythm.noise``), cut into orders of geometric sizes around the channel's mean
(wholesale: fewer, larger orders with a due date). Festivals of the simulated year repeat in
the history a year earlier, so a forecaster has seen them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from omnioms.simulation.scenario import Channel, Festival, Product, Scenario


@dataclass(frozen=True)
class CustomerOrder:
    number: str
    channel: str
    sku: str
    quantity: int
    placed: date
    due: date
    tier: str
    weight: int
    wholesale: bool
    rush: bool = False


def _year_back(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def festivals_with_history(scenario: Scenario) -> list[Festival]:
    """The scenario's festivals and the same ones a year (or two, three) earlier."""
    out = list(scenario.festivals)
    years = (scenario.history_days + 364) // 365
    for festival in scenario.festivals:
        start, end = festival.start, festival.end
        for _ in range(years):
            start, end = _year_back(start), _year_back(end)
            out.append(festival.model_copy(update={"start": start, "end": end}))
    return out


class DemandModel:
    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.rng = np.random.default_rng(seed)
        self.festivals = festivals_with_history(scenario)
        self._count = 0

    def expected(self, product: Product, channel: Channel, day: date) -> float:
        s = self.scenario
        years = (day - s.start).days / 365.0
        level = product.demand.base * max(0.0, 1 + product.demand.trend * years)
        level *= s.rhythm.weekly[day.weekday()] * s.rhythm.monthly[day.month - 1]
        level *= channel.share
        for f in self.festivals:
            if (
                f.start <= day <= f.end
                and (not f.channels or channel.code in f.channels)
                and (not f.products or product.sku in f.products)
            ):
                level *= f.uplift
        return level

    def _units(self, mean: float) -> int:
        if mean <= 0:
            return 0
        cv = self.scenario.rhythm.noise
        if cv <= 0:
            return int(self.rng.poisson(mean))
        shape = 1 / (cv * cv)
        return int(self.rng.poisson(self.rng.gamma(shape, mean / shape)))

    def day(self, day: date, *, prefix: str = "") -> list[CustomerOrder]:
        orders: list[CustomerOrder] = []
        for channel in self.scenario.channels:
            tiers = channel.tiers
            shares = np.array([t.share for t in tiers])
            for product in self.scenario.products:
                mean = self.expected(product, channel, day)
                if channel.kind == "wholesale":
                    # the expected units arrive as few big orders
                    size = channel.order_size.mean
                    count = int(self.rng.poisson(mean / size))
                    units = [
                        int(min(channel.order_size.max, max(1, self.rng.gamma(4.0, size / 4))))
                        for _ in range(count)
                    ]
                else:
                    total = self._units(mean)
                    units = []
                    p = 1 / channel.order_size.mean
                    while total > 0:
                        q = int(min(total, channel.order_size.max, self.rng.geometric(p)))
                        units.append(q)
                        total -= q
                for quantity in units:
                    tier = tiers[int(self.rng.choice(len(tiers), p=shares))]
                    rush = bool(self.rng.random() < channel.rush_share)
                    if channel.kind == "wholesale":
                        lead = int(self.rng.integers(channel.due_days[0], channel.due_days[1] + 1))
                    else:
                        lead = channel.promise_days
                    if rush:
                        lead = max(1, lead // 3)
                    self._count += 1
                    orders.append(
                        CustomerOrder(
                            number=f"{prefix}{day:%y%m%d}-{self._count:06d}",
                            channel=channel.code,
                            sku=product.sku,
                            quantity=quantity,
                            placed=day,
                            due=day + timedelta(days=lead),
                            tier=tier.name,
                            weight=tier.weight,
                            wholesale=channel.kind == "wholesale",
                            rush=rush,
                        )
                    )
        return orders

    def history(self) -> pd.DataFrame:
        """Daily sales of the ``history_days`` before the start: ``sku, date, quantity``."""
        rows: list[tuple[str, date, int]] = []
        first = self.scenario.start - timedelta(days=self.scenario.history_days)
        for n in range(self.scenario.history_days):
            day = first + timedelta(days=n)
            totals: dict[str, int] = {}
            for order in self.day(day, prefix="H"):
                totals[order.sku] = totals.get(order.sku, 0) + order.quantity
            rows.extend((sku, day, q) for sku, q in totals.items())
        return pd.DataFrame(rows, columns=["sku", "date", "quantity"])
