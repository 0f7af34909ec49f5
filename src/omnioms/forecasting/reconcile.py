"""Coherence: rounding the days so that weeks and months are their exact sums.

The day is the common bottom level (ISO weeks do not nest in months). Every figure is a
decimal with ``decimals`` places; the engine works in integer *units* of ``10**-decimals``:

1. each SKU's days of one calendar month (within the horizon) are rounded together by the
   largest-remainder method: the month's total is rounded once, each day is rounded down,
   and the units left over go to the days with the largest remainders (earlier day first on
   a tie). So the rounded days add up to the rounded month, no unit is lost to rounding, and
   a slow mover's 0.4 a month is still 0.4 (on some day) instead of thirty zeros;
2. a week's and a month's figure is the sum of its days' units.

Figures are returned as float64 holding those decimals (``Decimal(str(x))`` gives the exact
decimal back), computed from the integer units, so the sums hold exactly in decimal terms.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from omnioms.forecasting.calendar import Horizon

LEVELS = ("day", "week", "month")
FIGURE_COLUMNS = ("quantity", "lower", "upper")


def apportion(values: np.ndarray, groups: np.ndarray, decimals: int) -> np.ndarray:
    """Round non-negative ``values`` to integer units so each group keeps its rounded total.

    ``groups`` labels each value (any integers); returns int64 units of ``10**-decimals``.
    """
    scaled = np.clip(np.nan_to_num(values, nan=0.0), 0.0, None) * 10**decimals
    floor = np.floor(scaled + 1e-9)
    remainder = scaled - floor
    labels, inverse = np.unique(groups, return_inverse=True)
    target = np.rint(np.bincount(inverse, weights=scaled, minlength=len(labels)))
    deficit = (target - np.bincount(inverse, weights=floor, minlength=len(labels))).astype(np.int64)
    # Rank each value within its group by remainder, largest first, earlier first on a tie.
    order = np.lexsort((np.arange(len(values)), -remainder, inverse))
    sorted_groups = inverse[order]
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    rank = np.arange(len(values)) - np.repeat(starts, np.diff(np.r_[starts, len(values)]))
    extra = np.zeros(len(values), dtype=np.int64)
    extra[order] = rank < deficit[sorted_groups]
    return floor.astype(np.int64) + extra


def figures_from_days(
    days: pd.DataFrame, horizon: Horizon, decimals: int, columns: tuple[str, ...]
) -> pd.DataFrame:
    """Day rows (``sku``, ``date``, integer unit columns) to the figures of all three levels.

    Returns ``sku, level, period_start`` and ``columns`` as decimals: a row per day, per ISO
    week wholly inside the horizon (``period_start`` its Monday) and per calendar month wholly
    inside it (its first day), each week and month the exact sum of its days.
    """
    dates = days["date"].to_numpy().astype("datetime64[D]")
    parts = [days.assign(level="day", period_start=dates)]
    weeks = np.array(horizon.whole_weeks(), dtype="datetime64[D]")
    mondays = dates - ((dates.astype("int64") + 3) % 7).astype("timedelta64[D]")
    in_week = np.isin(mondays, weeks)
    if in_week.any():
        parts.append(_sum_by(days[in_week], mondays[in_week], "week", columns))
    months = np.array(horizon.whole_months(), dtype="datetime64[D]")
    firsts = dates.astype("datetime64[M]").astype("datetime64[D]")
    in_month = np.isin(firsts, months)
    if in_month.any():
        parts.append(_sum_by(days[in_month], firsts[in_month], "month", columns))
    out = pd.concat(
        [part[["sku", "level", "period_start", *columns]] for part in parts], ignore_index=True
    )
    out["_level"] = out["level"].map({level: i for i, level in enumerate(LEVELS)})
    out = out.sort_values(["sku", "_level", "period_start"], kind="stable").drop(columns="_level")
    out["period_start"] = pd.to_datetime(out["period_start"]).dt.date
    scale = 10.0**decimals
    for column in columns:
        out[column] = out[column].to_numpy() / scale
    return out.reset_index(drop=True)


def _sum_by(
    days: pd.DataFrame, periods: np.ndarray, level: str, columns: tuple[str, ...]
) -> pd.DataFrame:
    frame = days[["sku", *columns]].assign(period_start=periods)
    summed = frame.groupby(["sku", "period_start"], sort=False, observed=True)[list(columns)].sum()
    return summed.reset_index().assign(level=level)


def to_units(figures: pd.Series, decimals: int) -> np.ndarray:
    """Decimal figures (as returned here) back to their integer units, exactly."""
    return np.rint(figures.to_numpy(dtype=float) * 10**decimals).astype(np.int64)
