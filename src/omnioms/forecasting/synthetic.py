"""Synthetic daily demand that looks like a Chinese online shop's, for tests and benchmarks.

Trend, weekly rhythm, yearly seasonality, marketplace festivals (618, Double 11, Double 12,
the Spring Festival's dip on its moving date) and noise, with a share of intermittent slow
movers. Deterministic for a seed. Nothing here is used by the forecast itself.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from omnioms.forecasting.calendar import Event, day_range, weekdays

SPRING_FESTIVAL = {
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
}
"""Lunar new year's day (Gregorian), the Spring Festival's moving date."""

FESTIVAL_UPLIFT = {"618": 2.5, "double11": 4.0, "double12": 1.8, "spring_festival": 0.35}
WEEKDAY_RHYTHM = np.array([0.92, 0.9, 0.93, 0.97, 1.05, 1.15, 1.08])


def marketplace_events(years: range) -> list[Event]:
    """618, Double 11, Double 12 and the Spring Festival for ``years`` (within 2019-2028)."""
    events = []
    for year in years:
        events += [
            Event("618", date(year, 6, 16), date(year, 6, 18)),
            Event("double11", date(year, 11, 10), date(year, 11, 11)),
            Event("double12", date(year, 12, 12), date(year, 12, 12)),
        ]
        if year in SPRING_FESTIVAL:
            new_year = SPRING_FESTIVAL[year]
            events.append(
                Event(
                    "spring_festival",
                    new_year - timedelta(days=5),
                    new_year + timedelta(days=6),
                )
            )
    return events


def expected_demand(
    n_skus: int, start: date, end: date, *, seed: int = 0, slow_share: float = 0.3
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """SKU names, days, and the [sku, day] expected demand (before noise)."""
    rng = np.random.default_rng(seed)
    days = day_range(start, end)
    t = np.arange(len(days)) / 365.25
    slow = rng.random(n_skus) < slow_share
    level = np.where(slow, rng.uniform(0.03, 0.4, n_skus), rng.lognormal(1.2, 0.9, n_skus))
    growth = rng.uniform(-0.15, 0.25, n_skus)
    trend = np.exp(np.outer(growth, t))
    amplitude = rng.uniform(0.0, 0.45, n_skus)
    phase = rng.choice([0.0, 1.6, 3.1, 4.7], n_skus) + rng.normal(0, 0.3, n_skus)
    doy = pd.DatetimeIndex(days).dayofyear.to_numpy() / 365.25 * 2 * np.pi
    yearly = 1 + amplitude[:, None] * np.sin(doy[None, :] + phase[:, None])
    rhythm = WEEKDAY_RHYTHM * rng.lognormal(0, 0.05, (n_skus, 7))
    rhythm /= rhythm.mean(axis=1, keepdims=True)
    mean = level[:, None] * trend * yearly * rhythm[:, weekdays(days)]
    festival = np.ones((n_skus, len(days)))
    sensitivity = rng.uniform(0.5, 1.5, n_skus)
    for event in marketplace_events(range(start.year, end.year + 1)):
        lo = (np.datetime64(event.start) - days[0]).astype(int)
        hi = (np.datetime64(event.end) - days[0]).astype(int) + 1
        if hi <= 0 or lo >= len(days):
            continue
        factor = FESTIVAL_UPLIFT[event.key]
        festival[:, max(lo, 0) : hi] = 1 + (factor - 1) * sensitivity[:, None]
    skus = [f"SKU{i:05d}" for i in range(n_skus)]
    return skus, days, mean * festival


def demand_history(
    n_skus: int, start: date, end: date, *, seed: int = 0, slow_share: float = 0.3
) -> pd.DataFrame:
    """Daily sales (``sku``, ``date``, ``quantity``), days without sales left out."""
    skus, days, mean = expected_demand(n_skus, start, end, seed=seed, slow_share=slow_share)
    rng = np.random.default_rng(seed + 1)
    # Gamma-Poisson (negative binomial): more spread than Poisson, as real sales have.
    quantity = rng.poisson(mean * rng.gamma(4.0, 0.25, mean.shape))
    rows, cols = np.nonzero(quantity)
    return pd.DataFrame(
        {
            "sku": pd.Categorical.from_codes(rows, categories=skus),
            "date": days[cols],
            "quantity": quantity[rows, cols].astype(float),
        }
    )
