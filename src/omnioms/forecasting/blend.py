"""Blending the statistical forecast with the sales team's figures, month by month.

The sales team gives a quantity per month, for a SKU or for a product family. A family's
figure is split to its SKUs by their share of the statistical forecast of that month (equal
shares when the statistics say nothing); a SKU's own figure takes precedence over its
family's share. A figure is for the whole calendar month; when the horizon starts mid-month
only the horizon's part counts (in the statistical forecast's proportion).

Rules (``rule``):

- ``replace``: the sales figure is the final figure;
- ``add``: the sales figure is added to the statistical one (extra volume the statistics
  cannot know: a new listing, a contract);
- ``weighted``: a weighted mean, each source weighted by the inverse of its measured error
  (e.g. its WAPE at month level and the lag in question): ``accuracy`` gives the errors per
  SKU, per family or for all (``key`` ``*``), the most specific one applying.

A month without a sales figure keeps the statistical figure. The final month figures are
shared out to the month's days in the statistical forecast's proportions and rounded the
same way (:mod:`omnioms.forecasting.reconcile`), so the blended figures stay coherent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from omnioms.forecasting.engine import Forecast
from omnioms.forecasting.reconcile import apportion, figures_from_days, to_units

Rule = Literal["replace", "add", "weighted"]
RULES: tuple[Rule, ...] = ("replace", "add", "weighted")


@dataclass(frozen=True)
class Blended:
    """``months``: ``sku, month, statistical, sales, weight, final`` for the horizon's part of
    each month (``sales`` NaN where none was given; ``weight`` the sales figure's weight).
    ``figures``: ``sku, level, period_start, statistical, sales, final, lower, upper`` at the
    three levels (``sales`` only on month rows), days adding up to weeks and months."""

    rule: Rule
    months: pd.DataFrame
    figures: pd.DataFrame


def _sales_per_sku(
    forecast: Forecast, sales: pd.DataFrame, families: Mapping[str, str]
) -> pd.DataFrame:
    """Sales figures per SKU and month (whole month), families split by statistical share."""
    months = forecast.months[["sku", "month", "statistical"]].copy()
    months["family"] = months["sku"].map(families)
    sales = sales.copy()
    sales["month"] = pd.to_datetime(sales["month"]).dt.date
    for column in ("sku", "family"):
        if column not in sales.columns:
            sales[column] = None
    own = sales[sales["sku"].notna()][["sku", "month", "quantity"]]
    by_family = sales[sales["sku"].isna() & sales["family"].notna()]
    split = months.merge(
        by_family[["family", "month", "quantity"]], on=["family", "month"], how="inner"
    )
    if not split.empty:
        total = split.groupby(["family", "month"])["statistical"].transform("sum")
        count = split.groupby(["family", "month"])["statistical"].transform("size")
        share = np.where(total > 0, split["statistical"] / total.where(total > 0, 1), 1 / count)
        split["quantity"] = split["quantity"] * share
    merged = pd.concat([own.assign(_own=1), split[["sku", "month", "quantity"]].assign(_own=0)])
    merged = merged.sort_values("_own").drop_duplicates(["sku", "month"], keep="last")
    return merged[["sku", "month", "quantity"]]


def _weights(
    frame: pd.DataFrame, accuracy: pd.DataFrame | None, families: Mapping[str, str]
) -> np.ndarray:
    if accuracy is None:
        raise ValueError("the weighted rule needs the measured accuracy of both sources")
    table = accuracy.set_index("key")[["statistical_error", "sales_error"]]
    found = pd.DataFrame(index=frame.index, columns=table.columns, dtype=float)
    for keys in (frame["sku"], frame["sku"].map(families), pd.Series("*", index=frame.index)):
        hit = table.reindex(keys.to_numpy()).set_axis(frame.index)
        found = found.fillna(hit)
    if found.isna().any().any():
        missing = frame.loc[found.isna().any(axis=1), "sku"].iloc[0]
        raise ValueError(f"no measured accuracy for SKU {missing!r} (give a '*' row)")
    stat, sales = found["statistical_error"].to_numpy(), found["sales_error"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = (1 / sales) / (1 / sales + 1 / stat)
    # A source with no error at all takes all the weight (both perfect: half each).
    weight = np.where((sales == 0) & (stat == 0), 0.5, weight)
    return np.asarray(np.where(sales == 0, 1.0, np.where(stat == 0, 0.0, weight)))


def blend(
    forecast: Forecast,
    sales: pd.DataFrame,
    *,
    rule: Rule,
    families: Mapping[str, str] | None = None,
    accuracy: pd.DataFrame | None = None,
) -> Blended:
    """Blend ``sales`` (``sku`` or ``family``, ``month``, ``quantity``) into ``forecast``.

    ``families`` maps SKU → family; ``accuracy`` (``key``, ``statistical_error``,
    ``sales_error``) is needed for the ``weighted`` rule.
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}, not {rule!r}")
    families = dict(families or {})
    d = forecast.decimals
    per_sku = _sales_per_sku(forecast, sales, families)
    months = forecast.months.merge(per_sku, on=["sku", "month"], how="left")
    whole = months["statistical"].to_numpy()
    part = months["in_horizon"].to_numpy()
    in_horizon = np.divide(part, whole, out=np.ones_like(part), where=whole > 0)
    months["sales"] = pd.to_numeric(months["quantity"], errors="coerce") * in_horizon
    given = months["sales"].notna().to_numpy()
    stat = part
    sales_part = months["sales"].fillna(0.0).to_numpy()
    weight = np.zeros(len(months))
    if rule == "replace":
        weight[given] = 1.0
        final = np.where(given, sales_part, stat)
    elif rule == "add":
        final = stat + sales_part
    else:
        weight[given] = _weights(months[given], accuracy, families)
        final = (1 - weight) * stat + weight * sales_part
    months["final"] = np.clip(final, 0, None)
    months["weight"] = weight
    months = months.rename(columns={"statistical": "whole_month"})
    months["statistical"] = stat
    result = months[["sku", "month", "statistical", "sales", "weight", "final"]]
    return Blended(rule=rule, months=result, figures=_spread(forecast, result, d))


def _spread(forecast: Forecast, months: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Share each month's final figure out to its days in the statistical proportions."""
    figures = forecast.figures
    days = figures[figures["level"] == "day"].rename(columns={"period_start": "date"})
    days = days.assign(month=[d.replace(day=1) for d in days["date"]])
    days = days.merge(months[["sku", "month", "statistical", "final"]], on=["sku", "month"])
    stat_units = to_units(days["quantity"], decimals)
    ratio = np.divide(
        days["final"].to_numpy(),
        days["statistical"].to_numpy(),
        out=np.zeros(len(days)),
        where=days["statistical"].to_numpy() > 0,
    )
    groups = days.groupby(["sku", "month"], sort=False).ngroup().to_numpy()
    n_days = np.bincount(groups)[groups]
    even = days["final"].to_numpy() / n_days
    values = np.where(days["statistical"].to_numpy() > 0, days["quantity"] * ratio, even)
    final_units = apportion(values, groups, decimals)
    scale = np.where(days["statistical"].to_numpy() > 0, ratio, 0.0)
    lower = np.minimum(apportion(days["lower"].to_numpy() * scale, groups, decimals), final_units)
    upper_values = np.where(scale > 0, days["upper"].to_numpy() * scale, even)
    upper = np.maximum(apportion(upper_values, groups, decimals), final_units)
    units = pd.DataFrame(
        {
            "sku": days["sku"].to_numpy(),
            "date": days["date"].to_numpy(),
            "statistical": stat_units,
            "final": final_units,
            "lower": lower,
            "upper": upper,
        }
    )
    out = figures_from_days(
        units, forecast.horizon, decimals, ("statistical", "final", "lower", "upper")
    )
    sales = months[["sku", "month", "sales"]].rename(columns={"month": "period_start"})
    out = out.merge(sales.assign(level="month"), on=["sku", "level", "period_start"], how="left")
    return out[["sku", "level", "period_start", "statistical", "sales", "final", "lower", "upper"]]
