"""Forecast accuracy: pure functions over actuals and forecasts.

- :func:`wape`: Σ|actual − forecast| / Σ|actual| (weighted absolute percentage error);
- :func:`bias`: Σ(forecast − actual) / Σ actual (positive: the forecast was too high);
- :func:`mase`: mean absolute error / in-sample mean absolute error of the seasonal naive
  forecast (``season`` periods back);
- :func:`rmsse`: √(mean squared error / in-sample mean squared seasonal-naive error), the M5
  competition's measure;
- :func:`value_added`: forecast value added of one source over another, the reference's error
  minus the source's (positive: the source improved on the reference);
- :func:`scores`: WAPE and bias (and MASE given a scale per row) grouped, e.g. per level, lag
  and source, from a long table of actuals and forecasts.

An empty or all-zero denominator gives NaN, not an error: "no sales" has no percentage error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

Metric = Callable[[ArrayLike, ArrayLike], float]


def _pair(actual: ArrayLike, forecast: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ValueError(f"actual has shape {a.shape}, forecast {f.shape}")
    return a, f


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def wape(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pair(actual, forecast)
    return _ratio(float(np.abs(a - f).sum()), float(np.abs(a).sum()))


def bias(actual: ArrayLike, forecast: ArrayLike) -> float:
    a, f = _pair(actual, forecast)
    return _ratio(float((f - a).sum()), float(a.sum()))


def seasonal_naive_error(insample: ArrayLike, season: int, *, squared: bool = False) -> float:
    """Mean absolute (or squared) difference of ``insample`` from ``season`` periods before."""
    y = np.asarray(insample, dtype=float)
    if len(y) <= season:
        return float("nan")
    diff = y[season:] - y[:-season]
    return float(np.mean(diff**2) if squared else np.mean(np.abs(diff)))


def mase(actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, season: int) -> float:
    a, f = _pair(actual, forecast)
    return _ratio(float(np.mean(np.abs(a - f))), seasonal_naive_error(insample, season))


def rmsse(actual: ArrayLike, forecast: ArrayLike, insample: ArrayLike, season: int) -> float:
    a, f = _pair(actual, forecast)
    scale = seasonal_naive_error(insample, season, squared=True)
    return float(np.sqrt(_ratio(float(np.mean((a - f) ** 2)), scale)))


def value_added(
    actual: ArrayLike, forecast: ArrayLike, reference: ArrayLike, metric: Metric = wape
) -> float:
    """Value added of ``forecast`` over ``reference``: metric(reference) − metric(forecast)."""
    return metric(actual, reference) - metric(actual, forecast)


def scores(frame: pd.DataFrame, by: Sequence[str] = ("level", "lag", "source")) -> pd.DataFrame:
    """WAPE, bias (and MASE with a ``scale`` column) per group of a long table.

    ``frame`` has ``actual`` and ``forecast`` columns and the ``by`` columns; ``scale`` (the
    in-sample seasonal-naive MAE of the row's SKU at the row's level) adds ``mase``: the mean
    of the rows' scaled absolute errors.
    """
    data = frame.assign(
        _abs=(frame["actual"] - frame["forecast"]).abs(),
        _err=frame["forecast"] - frame["actual"],
        _act=frame["actual"].abs(),
        _sum=frame["actual"],
    )
    columns = ["_abs", "_err", "_act", "_sum"]
    if "scale" in frame.columns:
        data["_scaled"] = data["_abs"] / data["scale"].where(data["scale"] > 0)
        columns.append("_scaled")
    grouped = data.groupby(list(by), sort=True)
    sums = grouped[columns[:4]].sum()
    out = pd.DataFrame(index=sums.index)
    out["wape"] = sums["_abs"] / sums["_act"].where(sums["_act"] != 0)
    out["bias"] = sums["_err"] / sums["_sum"].where(sums["_sum"] != 0)
    if "_scaled" in columns:
        out["mase"] = grouped["_scaled"].mean()
    out["n"] = grouped.size()
    return out.reset_index()
