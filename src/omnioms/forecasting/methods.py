"""Month-level statistical models and their choice per SKU (statsforecast).

Each SKU's month series (its event-adjusted daily *rate*, see ``engine``) is put in a class:

- ``smooth``: AutoETS (additive errors; none, additive or damped trend) and the dynamic
  optimised Theta method against SeasonalNaive, the baseline every other model must beat.
  They see the series *deseasonalised* by the engine's yearly index (each SKU's own, shrunk
  towards the shop's), and their forecasts are seasonalised again: fitting a seasonal ETS per
  SKU costs ten times more and, with three years of months, estimates twelve seasonal states
  from three points each. SeasonalNaive on the deseasonalised series is exactly the seasonal
  naive forecast of the original one (the index cancels);
- ``intermittent`` (Syntetos–Boylan: on average more than 1.32 months between months with
  sales): Croston (optimised), TSB, ADIDA and IMAPA, which forecast a rate of demand rather
  than chase the zeros.

Within its class the model is chosen per SKU by rolling-origin cross-validation (statsforecast
``cross_validation``: ``windows`` origins, each forecasting ``horizon`` months ahead; the
lowest mean squared error wins, ties to the earlier model in the list). The chosen model is
then fitted on the whole series (on Dask, and for the cheap intermittent models, every model
of the class is fitted in one call and each SKU keeps its own model's column: the same
figures, fewer calls). Series too short to cross-validate take the class's first model.
The errors of the chosen model at the origins give the prediction interval's width
(empirical, so every model — Croston included — has one).

Parallelism is statsforecast's own: ``n_jobs`` processes on this machine, or, given a Dask
client, the same calls on Dask through fugue (statsforecast's distributed backend). The models
are deterministic, so both give the same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

SMOOTH = "smooth"
INTERMITTENT = "intermittent"
INTERMITTENT_ADI = 1.32
SEASON = 12
MIN_CV_TRAIN = 12
"""Fewest months a series needs before its first cross-validation origin."""

LOCAL_POOL_FROM = 500
ModelFactory = Callable[[], Any]


def _smooth_models() -> list[tuple[str, ModelFactory]]:
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, SeasonalNaive

    return [
        ("AutoETS", lambda: AutoETS(model="AZN")),
        ("DynamicOptimizedTheta", DynamicOptimizedTheta),
        ("SeasonalNaive", lambda: SeasonalNaive(season_length=SEASON)),
    ]


def _intermittent_models() -> list[tuple[str, ModelFactory]]:
    from statsforecast.models import ADIDA, IMAPA, TSB, CrostonOptimized

    return [
        ("CrostonOptimized", CrostonOptimized),
        ("TSB", lambda: TSB(alpha_d=0.2, alpha_p=0.2)),
        ("ADIDA", ADIDA),
        ("IMAPA", IMAPA),
    ]


def candidates(kind: str) -> list[tuple[str, ModelFactory]]:
    """The models tried for a class, as (alias, factory) in order of preference."""
    return _smooth_models() if kind == SMOOTH else _intermittent_models()


INTERMITTENT_MODELS = frozenset(
    ("CrostonOptimized", "TSB", "ADIDA", "IMAPA"),
)


def classify(series: np.ndarray) -> str:
    """``intermittent`` when months with sales are on average > 1.32 months apart."""
    nonzero = int(np.count_nonzero(series > 0))
    if nonzero == 0 or len(series) / nonzero > INTERMITTENT_ADI:
        return INTERMITTENT
    return SMOOTH


@dataclass(frozen=True)
class Parallel:
    """Where statsforecast runs: ``n_jobs`` local processes, or a Dask client's cluster.

    ``partitions`` is how many pieces the SKUs are cut into for Dask (default: two per
    worker thread of the cluster).
    """

    n_jobs: int = -1
    dask_client: Any = None
    partitions: int | None = None


@dataclass(frozen=True)
class MonthForecast:
    """Per SKU: the chosen model, its rate forecast per month and the CV error (RMSE)."""

    model: pd.Series  # index unique_id -> alias
    point: pd.DataFrame  # unique_id, ds, rate
    cv_rmse: pd.Series  # index unique_id -> RMSE of the chosen model at the origins (NaN: none)


def _run(
    method: str, models: list[Any], frame: pd.DataFrame, parallel: Parallel, **kwargs: Any
) -> pd.DataFrame:
    from statsforecast import StatsForecast

    if parallel.dask_client is None:
        # A process pool costs more than it saves on a few hundred series.
        n_jobs = parallel.n_jobs if frame["unique_id"].nunique() >= LOCAL_POOL_FROM else 1
        sf = StatsForecast(models=models, freq="MS", n_jobs=n_jobs)
        result: pd.DataFrame = getattr(sf, method)(df=frame, **kwargs)
        return result
    import dask.dataframe as dd

    workers = sum(parallel.dask_client.nthreads().values()) or 1
    partitions = parallel.partitions or 2 * workers
    sf = StatsForecast(models=models, freq="MS")
    distributed = dd.from_pandas(frame, npartitions=min(partitions, max(len(frame) // 12, 1)))
    with parallel.dask_client.as_current():
        result = getattr(sf, method)(df=distributed, **kwargs)
        computed: pd.DataFrame = result.compute() if hasattr(result, "compute") else result
    computed = computed.reset_index(drop=True)
    # Through fugue the columns come back with object dtypes; give them the local ones.
    computed["unique_id"] = computed["unique_id"].astype(frame["unique_id"].dtype)
    for column in computed.columns:
        if column in ("ds", "cutoff"):
            computed[column] = pd.to_datetime(computed[column])
        elif column != "unique_id":
            computed[column] = computed[column].astype(float)
    return computed.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _choose(
    frame: pd.DataFrame, kind: str, horizon: int, windows: int, parallel: Parallel
) -> tuple[pd.Series, pd.Series]:
    """Cross-validate a class's models; the best alias and its RMSE per SKU.

    With a ``factor`` column (the seasonal index the series was divided by) the errors are
    measured in the original units.
    """
    aliases = [alias for alias, _ in candidates(kind)]
    lengths = frame.groupby("unique_id", sort=False).size()
    enough = lengths.index[lengths >= MIN_CV_TRAIN + horizon + windows - 1]
    chosen = pd.Series(aliases[0], index=lengths.index, dtype=object)
    rmse = pd.Series(np.nan, index=lengths.index)
    if len(enough):
        models = [factory() for _, factory in candidates(kind)]
        for model, alias in zip(models, aliases, strict=True):
            model.alias = alias
        cv = _run(
            "cross_validation",
            models,
            frame.loc[frame["unique_id"].isin(enough), ["unique_id", "ds", "y"]],
            parallel,
            h=horizon,
            n_windows=windows,
            step_size=1,
            # The smooth models carry their fit forward to the later origins (one fit per
            # SKU, not one per origin); the intermittent ones are cheap to refit.
            refit=kind != SMOOTH,
        )
        if "factor" in frame.columns:
            factor = cv[["unique_id", "ds"]].merge(
                frame[["unique_id", "ds", "factor"]], how="left", on=["unique_id", "ds"]
            )["factor"]
            errors = cv[aliases].sub(cv["y"], axis=0).mul(factor.fillna(1.0).to_numpy(), axis=0)
        else:
            errors = cv[aliases].sub(cv["y"], axis=0)
        squared = errors.pow(2)
        squared["unique_id"] = cv["unique_id"].to_numpy()
        mse = squared.groupby("unique_id", sort=False).mean().fillna(np.inf)
        best = mse.to_numpy().argmin(axis=1)
        chosen.loc[mse.index] = np.asarray(aliases, dtype=object)[best]
        rmse.loc[mse.index] = np.sqrt(mse.to_numpy()[np.arange(len(mse)), best])
    return chosen, rmse


def forecast_months(
    frame: pd.DataFrame,
    kinds: pd.Series,
    *,
    steps: int,
    cv_horizon: int = 3,
    cv_windows: int = 2,
    parallel: Parallel | None = None,
) -> MonthForecast:
    """Choose a model per SKU within its class and forecast ``steps`` months of the rate.

    ``frame`` is statsforecast's long shape (``unique_id``, ``ds`` month starts, ``y``),
    optionally with ``factor`` (what ``y`` was divided by, for measuring errors in the
    original units); ``kinds`` maps each ``unique_id`` to :data:`SMOOTH` or
    :data:`INTERMITTENT`. The forecast ``rate`` is in the units of ``y``.
    """
    parallel = parallel or Parallel()
    chosen_parts, rmse_parts, points = [], [], []
    for kind in (SMOOTH, INTERMITTENT):
        ids = kinds.index[kinds == kind]
        if not len(ids):
            continue
        part = frame[frame["unique_id"].isin(ids)]
        chosen, rmse = _choose(part, kind, cv_horizon, cv_windows, parallel)
        chosen_parts.append(chosen)
        rmse_parts.append(rmse)
        data = part[["unique_id", "ds", "y"]]
        if kind == INTERMITTENT or parallel.dask_client is not None:
            # One call fitting every model of the class, then each SKU's own column: the
            # intermittent models cost next to nothing, and on Dask each call has a fixed
            # cost far above a few extra fits.
            models = [factory() for _, factory in candidates(kind)]
            for model, (alias, _) in zip(models, candidates(kind), strict=True):
                model.alias = alias
            every = _run("forecast", models, data, parallel, h=steps)
            columns = [alias for alias, _ in candidates(kind)]
            position = {alias: i for i, alias in enumerate(columns)}
            index = chosen.reindex(every["unique_id"]).map(position).to_numpy(dtype=np.int64)
            values = every[columns].to_numpy()[np.arange(len(every)), index]
            points.append(every[["unique_id", "ds"]].assign(rate=values))
            continue
        factories = dict(candidates(kind))
        for alias in chosen.unique():
            model = factories[alias]()
            model.alias = "rate"
            group = data[data["unique_id"].isin(chosen.index[chosen == alias])]
            points.append(_run("forecast", [model], group, parallel, h=steps))
    if not points:
        empty = pd.Series(dtype=object)
        return MonthForecast(
            empty, pd.DataFrame(columns=["unique_id", "ds", "rate"]), pd.Series(dtype=float)
        )
    point = pd.concat(points, ignore_index=True)[["unique_id", "ds", "rate"]]
    point["rate"] = point["rate"].fillna(0.0).clip(lower=0.0)
    return MonthForecast(
        model=pd.concat(chosen_parts), point=point, cv_rmse=pd.concat(rmse_parts).astype(float)
    )
