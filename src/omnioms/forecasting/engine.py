"""The forecasting engine: daily history and events in, coherent day/week/month figures out.

The method, month first (details and reasons in ``docs/forecasting.md``):

1. **Weekday profile** per SKU from its last 52 weeks of ordinary (non-event) days, shrunk
   towards the profile of all SKUs by its volume, so a slow mover borrows the shop's rhythm.
2. **Events adjusted out.** An ordinary-day baseline (a centred 4-week level times the
   weekday profile) says what each event day would have sold; each event kind's *uplift* per
   SKU is actual / baseline over its past days, shrunk towards the kind's uplift over all
   SKUs (empirical Bayes: a SKU with little history takes the shop's figure). Event days are
   replaced by their baseline before any model sees them.
3. **Month models.** Each SKU's complete months become a *rate*: the month's adjusted total
   per weekday-weighted day (so a 28-day February and a 31-day month with five weekends are
   comparable). A model per SKU is chosen by rolling-origin cross-validation
   (:mod:`omnioms.forecasting.methods`) and forecasts the rate of each month to come; SKUs
   with fewer than ``min_months`` complete months take the rate of their last 8 weeks.
4. **Refined to days**: day = month's rate × the weekday's weight × the uplift of the event
   on that day, if any (learned per kind; a kind never seen before counts 1).
5. **Rounded coherently** (:mod:`omnioms.forecasting.reconcile`): weeks and months are the
   exact sums of the rounded days.

The API is :func:`forecast` (a :class:`Forecast` back); everything is pandas and numpy, no
database and no Django, so the web pages, the jobs and ``omnioms forecast series`` run it alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd

from omnioms.forecasting import methods as month_models
from omnioms.forecasting.calendar import (
    NO_EVENT,
    Event,
    Horizon,
    event_kinds,
    event_matrix,
    month_index,
    weekdays,
)
from omnioms.forecasting.reconcile import apportion, figures_from_days

PROFILE_DAYS = 364
"""The weekday profile reads the last 52 whole weeks (each weekday equally often)."""
PROFILE_PRIOR_UNITS = 100.0
"""Volume at which a SKU's own weekday profile and the shop's weigh the same."""
UPLIFT_PRIOR_UNITS = 20.0
"""Baseline volume at which a SKU's own event uplift and the kind's pooled one weigh the same."""
SEASON_PRIOR_UNITS = 300.0
"""Volume at which a SKU's own yearly index and the shop's weigh the same (× years/(years+1))."""
LEVEL_HALF_WINDOW = 14
SHORT_RATE_DAYS = 56
SHORT = "short"


@dataclass(frozen=True)
class Settings:
    """How a forecast is made; the defaults are what ``omnioms forecast series`` uses.

    ``decimals``: places of every figure (weeks and months are sums of rounded days).
    ``level``: coverage in % of the prediction interval (``lower``, ``upper``).
    ``cv_horizon`` / ``cv_windows``: months ahead and origins of the model choice.
    ``min_months``: complete months a SKU needs before a model is fitted to it.
    """

    decimals: int = 2
    level: float = 80.0
    cv_horizon: int = 3
    cv_windows: int = 2
    min_months: int = 6
    parallel: month_models.Parallel = field(default_factory=month_models.Parallel)


@dataclass(frozen=True)
class Forecast:
    """What :func:`forecast` returns.

    ``figures``: ``sku, level, period_start, quantity, lower, upper`` — a row per SKU and day
    of the horizon, per ISO week (Monday) and calendar month (first day) wholly inside it;
    decimals with ``decimals`` places, non-negative, days adding up to weeks and months.
    ``skus``: ``sku, kind, model, cv_rmse`` — the class (``smooth``, ``intermittent`` or
    ``short``), the chosen model and its cross-validated error (in the month rate's units).
    ``uplifts``: ``sku, event_kind, uplift, learned`` — the factor applied on that kind's days.
    ``months``: ``sku, month, statistical, in_horizon`` — each month the horizon touches:
    the whole calendar month's figure and its part inside the horizon (for blending a sales
    figure given for a whole month into a horizon that starts mid-month).
    """

    horizon: Horizon
    decimals: int
    figures: pd.DataFrame
    skus: pd.DataFrame
    uplifts: pd.DataFrame
    months: pd.DataFrame


@dataclass
class _History:
    skus: np.ndarray  # sku names, sorted
    days: np.ndarray  # datetime64[D], first to last day of history
    sales: np.ndarray  # [sku, day] float; NaN before a SKU's first day
    first: np.ndarray  # [sku] index of the first day


def _dense(history: pd.DataFrame, last_day: date | None) -> _History:
    frame = history[["sku", "date", "quantity"]]
    dates = pd.to_datetime(frame["date"]).to_numpy().astype("datetime64[D]")
    codes, skus = pd.factorize(frame["sku"], sort=True)
    end = np.datetime64(last_day, "D") if last_day is not None else dates.max()
    keep = dates <= end
    codes, dates = codes[keep], dates[keep]
    quantity = frame["quantity"].to_numpy(dtype=float)[keep]
    days = np.arange(dates.min(), end + 1)
    column = (dates - days[0]).astype(np.int64)
    sales = np.zeros((len(skus), len(days)))
    np.add.at(sales, (codes, column), quantity)
    first = np.full(len(skus), len(days), dtype=np.int64)
    np.minimum.at(first, codes, column)
    sales[np.arange(len(days))[None, :] < first[:, None]] = np.nan
    names = np.asarray([str(sku) for sku in skus], dtype=object)
    return _History(names, days, sales, first)


def _weekday_profile(sales: np.ndarray, wd: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """[sku, 7] weights with mean 1: own profile shrunk towards the pooled one by volume."""
    window = slice(max(sales.shape[1] - PROFILE_DAYS, 0), sales.shape[1])
    values = np.where(ordinary[:, window], sales[:, window], 0.0)
    counts = ordinary[:, window].astype(float)
    sums = np.stack([values[:, wd[window] == d].sum(axis=1) for d in range(7)], axis=1)
    n = np.stack([counts[:, wd[window] == d].sum(axis=1) for d in range(7)], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = sums.sum(axis=0) / n.sum(axis=0)
        pooled = np.nan_to_num(pooled / np.nanmean(pooled), nan=1.0) if pooled.any() else None
        own = sums / n
        own = own / np.nanmean(own, axis=1, keepdims=True)
    if pooled is None:
        pooled = np.ones(7)
    own = np.where(np.isfinite(own), own, pooled)
    volume = sums.sum(axis=1, keepdims=True)
    weight = volume / (volume + PROFILE_PRIOR_UNITS)
    profile = weight * own + (1 - weight) * pooled
    mean = profile.mean(axis=1, keepdims=True)
    return np.asarray(np.where(mean > 0, profile / np.where(mean > 0, mean, 1), 1.0))


def _baseline(sales: np.ndarray, weight: np.ndarray, ordinary: np.ndarray) -> np.ndarray:
    """What each day would have sold without an event: centred level × weekday weight."""
    z = np.where(ordinary, sales / weight, 0.0)
    total = np.concatenate([np.zeros((len(z), 1)), np.cumsum(z, axis=1)], axis=1)
    count = np.concatenate(
        [np.zeros((len(z), 1)), np.cumsum(ordinary, axis=1, dtype=float)], axis=1
    )
    n = z.shape[1]
    lo = np.clip(np.arange(n) - LEVEL_HALF_WINDOW, 0, n)
    hi = np.clip(np.arange(n) + LEVEL_HALF_WINDOW + 1, 0, n)
    days = count[:, hi] - count[:, lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        level = (total[:, hi] - total[:, lo]) / days
    return np.asarray(np.where(days >= 5, level, np.nan) * weight)


def _uplifts(
    sales: np.ndarray, baseline: np.ndarray, kinds: np.ndarray, n_kinds: int
) -> tuple[np.ndarray, np.ndarray]:
    """[sku, kind] uplift factor, and whether the kind had any past day to learn from."""
    uplift = np.ones((len(sales), n_kinds))
    learned = np.zeros(n_kinds, dtype=bool)
    usable = np.isfinite(sales) & np.isfinite(baseline)
    for k in range(n_kinds):
        days = usable & (kinds == k)
        actual = np.where(days, sales, 0.0).sum(axis=1)
        expected = np.where(days, baseline, 0.0).sum(axis=1)
        if expected.sum() <= 0:
            continue
        learned[k] = True
        pooled = actual.sum() / expected.sum()
        uplift[:, k] = (actual + UPLIFT_PRIOR_UNITS * pooled) / (expected + UPLIFT_PRIOR_UNITS)
    return uplift, learned


def _apply_kinds(uplift: np.ndarray, kinds: np.ndarray) -> np.ndarray:
    """[sku, day] factor: the uplift of the day's event kind, 1 on ordinary days."""
    padded = np.concatenate([uplift, np.ones((len(uplift), 1))], axis=1)
    index = np.where(kinds == NO_EVENT, uplift.shape[1], kinds)
    return np.asarray(np.take_along_axis(padded, index.astype(np.int64), axis=1))


def forecast(
    history: pd.DataFrame,
    *,
    months: int,
    events: Sequence[Event] = (),
    settings: Settings | None = None,
    last_day: date | None = None,
) -> Forecast:
    """Forecast every SKU of ``history`` from the day after ``last_day`` for ``months`` months.

    ``history``: columns ``sku``, ``date``, ``quantity`` (daily sales; a missing day sold
    nothing; rows of one SKU and day are added). A SKU exists from its first row on.
    ``last_day``: the last day of history (default: the latest date in it); the horizon runs
    to the end of the ``months``-th calendar month after it (:meth:`Horizon.after`).
    ``events``: past and future occurrences; past ones teach each kind's uplift, future ones
    apply it.
    """
    settings = settings or Settings()
    if history.empty:
        raise ValueError("history is empty")
    hist = _dense(history, last_day)
    as_of = pd.Timestamp(hist.days[-1]).date()
    horizon = Horizon.after(as_of, months)
    future = horizon.days
    all_days = np.concatenate([hist.days, future])
    kinds = event_kinds(events)
    event_days = event_matrix(events, kinds, list(hist.skus), all_days)
    past_kinds, future_kinds = event_days[:, : len(hist.days)], event_days[:, len(hist.days) :]

    listed = np.isfinite(hist.sales)
    ordinary = listed & (past_kinds == NO_EVENT)
    wd = weekdays(hist.days)
    profile = _weekday_profile(hist.sales, wd, ordinary)
    weight = profile[:, wd]
    baseline = _baseline(hist.sales, weight, ordinary)
    uplift, learned = _uplifts(hist.sales, baseline, past_kinds, len(kinds))
    adjusted = np.where(
        listed & (past_kinds != NO_EVENT) & np.isfinite(baseline), baseline, hist.sales
    )

    # Complete months of each SKU: whole calendar months from its first day on. The last
    # month of history is complete only when history ends on its last day.
    month = month_index(hist.days)
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    whole = pd.DatetimeIndex(hist.days[starts]).day.to_numpy() == 1
    if month_index(hist.days[-1:] + 1)[0] == month[-1]:
        whole[-1] = False
    complete = whole[None, :] & (starts[None, :] >= hist.first[:, None])
    totals = np.add.reduceat(np.nan_to_num(adjusted), starts, axis=1)
    weights = np.add.reduceat(weight, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = np.where(complete, totals / weights, np.nan)
    n_complete = complete.sum(axis=1)
    # The month after the last complete one is the first forecast (the current month when
    # history ends mid-month: its rate is forecast like any month to come).
    last_complete = int(month[starts[whole]][-1]) if whole.any() else int(month[0]) - 1
    next_month = last_complete + 1
    steps = int(month_index(future)[-1]) - last_complete

    rate_ahead = np.zeros((len(hist.skus), steps))
    sigma = np.full(len(hist.skus), np.nan)
    kind_of = np.full(len(hist.skus), SHORT, dtype=object)
    model_of = np.full(len(hist.skus), "WindowAverage", dtype=object)

    recent = slice(max(len(hist.days) - SHORT_RATE_DAYS, 0), len(hist.days))
    with np.errstate(invalid="ignore", divide="ignore"):
        window_rate = np.nansum(adjusted[:, recent], axis=1) / np.where(
            listed[:, recent], weight[:, recent], 0
        ).sum(axis=1)
    window_rate = np.nan_to_num(window_rate)
    rate_ahead[:] = window_rate[:, None]

    modelled = np.flatnonzero(n_complete >= max(settings.min_months, 1))
    season = _season_index(rates, month[starts] % 12)
    if len(modelled):
        classes = pd.Series(
            [month_models.classify(rates[i, complete[i]]) for i in modelled], index=modelled
        )
        # Smooth series are modelled deseasonalised (see models); intermittent ones as they are.
        season[modelled[classes.to_numpy() != month_models.SMOOTH]] = 1.0
        rows, cols = np.nonzero(complete[modelled])
        ids = modelled[rows]
        factor = season[ids, month[starts[cols]] % 12]
        frame = pd.DataFrame(
            {
                "unique_id": ids,
                "ds": pd.to_datetime(hist.days[starts[cols]]),
                "y": rates[ids, cols] / factor,
                "factor": factor,
            }
        )
        result = month_models.forecast_months(
            frame,
            classes,
            steps=steps,
            cv_horizon=settings.cv_horizon,
            cv_windows=settings.cv_windows,
            parallel=settings.parallel,
        )
        ids = result.point["unique_id"].to_numpy().astype(np.int64)
        column = month_index(result.point["ds"].to_numpy().astype("datetime64[D]")) - next_month
        rate_ahead[ids, column] = result.point["rate"].to_numpy()
        ahead = (np.arange(steps) + next_month) % 12
        rate_ahead[modelled] *= season[modelled][:, ahead]
        kind_of[modelled] = classes.to_numpy()
        model_of[result.model.index.to_numpy().astype(np.int64)] = result.model.to_numpy()
        sigma[result.cv_rmse.index.to_numpy().astype(np.int64)] = result.cv_rmse.to_numpy()
    spread = np.full(len(hist.skus), np.nan)
    some = n_complete >= 2
    spread[some] = np.nanstd(rates[some], axis=1)
    sigma = np.where(
        np.isfinite(sigma), sigma, np.where(np.isfinite(spread), spread, 0.5 * window_rate)
    )
    refined = _Refined(
        rate=rate_ahead, sigma=sigma, next_month=next_month, profile=profile, uplift=uplift
    )
    return _assemble(
        hist,
        horizon,
        settings,
        refined,
        past_kinds,
        future_kinds,
        kinds,
        learned,
        kind_of,
        model_of,
    )


def _season_index(rates: np.ndarray, month_of_year: np.ndarray) -> np.ndarray:
    """[sku, 12] yearly index with mean 1 (classical ratio to a centred 2x12 moving average).

    Each SKU's own index is shrunk towards the shop's (volume-weighted) by its volume and
    the number of years it has, so three years of a small SKU mostly take the shop's shape.
    """
    n_sku, n_month = rates.shape
    index = np.ones((n_sku, 12))
    if n_month < 25:
        return index
    filled = np.nan_to_num(rates)
    total = np.concatenate([np.zeros((n_sku, 1)), np.cumsum(filled, axis=1)], axis=1)
    count = np.concatenate(
        [np.zeros((n_sku, 1)), np.cumsum(np.isfinite(rates), axis=1, dtype=float)], axis=1
    )
    centre = np.arange(6, n_month - 6)
    whole = count[:, centre + 7] - count[:, centre - 6] == 13
    average = (
        total[:, centre + 7]
        - total[:, centre - 6]
        - 0.5 * filled[:, centre - 6]
        - 0.5 * filled[:, centre + 6]
    ) / 12
    valid = whole & (average > 0)
    actual = np.where(valid, filled[:, centre], 0.0)
    base = np.where(valid, average, 0.0)
    moy = month_of_year[centre]
    own_actual = np.stack([actual[:, moy == m].sum(axis=1) for m in range(12)], axis=1)
    own_base = np.stack([base[:, moy == m].sum(axis=1) for m in range(12)], axis=1)
    if (own_base.sum(axis=0) <= 0).any():
        return index
    pooled = own_actual.sum(axis=0) / own_base.sum(axis=0)
    pooled /= pooled.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        own = own_actual / own_base
    years = np.stack([valid[:, moy == m].sum(axis=1) for m in range(12)], axis=1).min(axis=1)
    own = np.where(np.isfinite(own) & (years[:, None] > 0), own, pooled)
    volume = base.sum(axis=1) * 30.4
    weight = (volume / (volume + SEASON_PRIOR_UNITS) * years / (years + 1))[:, None]
    index = weight * own + (1 - weight) * pooled
    return np.asarray(index / index.mean(axis=1, keepdims=True))


@dataclass
class _Refined:
    rate: np.ndarray  # [sku, month ahead] forecast rate per weekday-weighted day
    sigma: np.ndarray  # [sku] error of one month's rate
    next_month: int  # month index of rate[:, 0]
    profile: np.ndarray  # [sku, 7]
    uplift: np.ndarray  # [sku, kind]


def _assemble(
    hist: _History,
    horizon: Horizon,
    settings: Settings,
    refined: _Refined,
    past_kinds: np.ndarray,
    future_kinds: np.ndarray,
    kinds: list[str],
    learned: np.ndarray,
    kind_of: np.ndarray,
    model_of: np.ndarray,
) -> Forecast:
    future = horizon.days
    column = month_index(future) - refined.next_month
    day_weight = refined.profile[:, weekdays(future)] * _apply_kinds(refined.uplift, future_kinds)
    rate = refined.rate[:, column]
    z = NormalDist().inv_cdf(0.5 + settings.level / 200)
    half = z * refined.sigma[:, None] * np.sqrt(column + 1)[None, :]
    point = rate * day_weight
    lower = np.clip(rate - half, 0, None) * day_weight
    upper = (rate + half) * day_weight

    n_sku, n_day = point.shape
    groups = (np.arange(n_sku)[:, None] * (column.max() + 1) + column[None, :]).ravel()
    d = settings.decimals
    point_units = apportion(point.ravel(), groups, d)
    lower_units = np.minimum(apportion(lower.ravel(), groups, d), point_units)
    upper_units = np.maximum(apportion(upper.ravel(), groups, d), point_units)
    days = pd.DataFrame(
        {
            "sku": np.repeat(hist.skus, n_day),
            "date": np.tile(future, n_sku),
            "quantity": point_units,
            "lower": lower_units,
            "upper": upper_units,
        }
    )
    figures = figures_from_days(days, horizon, d, ("quantity", "lower", "upper"))

    # Each month the horizon touches, whole: the horizon's part plus the days already past.
    in_horizon = np.zeros((n_sku, column.max() + 1))
    by_day = point_units.reshape(n_sku, n_day)
    for c in range(in_horizon.shape[1]):
        in_horizon[:, c] = by_day[:, column == c].sum(axis=1)
    before = hist.days[month_index(hist.days) == refined.next_month]
    past_part = np.zeros(n_sku)
    if len(before):
        cut = past_kinds[:, len(hist.days) - len(before) :]
        weight = refined.profile[:, weekdays(before)] * _apply_kinds(refined.uplift, cut)
        past_part = refined.rate[:, 0] * weight.sum(axis=1)
    whole = in_horizon.copy()
    whole[:, 0] += np.rint(past_part * 10**d)
    month_starts = np.unique(future.astype("datetime64[M]")).astype("datetime64[D]")
    months = pd.DataFrame(
        {
            "sku": np.repeat(hist.skus, len(month_starts)),
            "month": pd.to_datetime(np.tile(month_starts, n_sku)).date,
            "statistical": whole.ravel() / 10**d,
            "in_horizon": in_horizon.ravel() / 10**d,
        }
    )
    skus = pd.DataFrame(
        {"sku": hist.skus, "kind": kind_of, "model": model_of, "cv_rmse": refined.sigma}
    )
    uplifts = pd.DataFrame(
        {
            "sku": np.repeat(hist.skus, len(kinds)),
            "event_kind": np.tile(np.asarray(kinds, dtype=object), n_sku),
            "uplift": refined.uplift.ravel(),
            "learned": np.tile(learned, n_sku),
        }
    )
    return Forecast(
        horizon=horizon, decimals=d, figures=figures, skus=skus, uplifts=uplifts, months=months
    )
