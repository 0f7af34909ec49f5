"""The same forecast on a Dask cluster (statsforecast's fugue backend) as on this machine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from omnioms.forecasting.engine import Settings, forecast
from omnioms.forecasting.methods import Parallel
from omnioms.forecasting.synthetic import demand_history, marketplace_events

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with distributed.Client(cluster) as dask_client:
        yield dask_client
    cluster.close()


def test_a_run_on_a_local_dask_cluster_gives_the_local_runs_figures(client):
    history = demand_history(6, date(2023, 1, 1), date(2024, 10, 20), seed=9, slow_share=0.4)
    rng = np.random.default_rng(9)
    for n in range(2):  # slow movers that sell in one month of two or three
        sparse = rng.integers(0, 660, size=10)
        days = sorted({date(2023, 1, 1) + timedelta(days=int(d)) for d in sparse})
        history = pd.concat(
            [history, pd.DataFrame({"sku": f"SLOW{n}", "date": days, "quantity": 1.0})]
        )
    events = marketplace_events(range(2023, 2025))
    settings = Settings(parallel=Parallel(n_jobs=1))
    local = forecast(history, months=2, events=events, settings=settings)
    with distributed.get_task_stream(client) as tasks:
        on_dask = forecast(
            history,
            months=2,
            events=events,
            settings=replace(settings, parallel=Parallel(dask_client=client, partitions=3)),
        )
    assert len(tasks.data) > 0  # the models were fitted on the cluster's workers
    assert set(local.skus["kind"]) >= {"smooth", "intermittent"}
    pd.testing.assert_frame_equal(on_dask.skus, local.skus)
    pd.testing.assert_frame_equal(on_dask.figures, local.figures)
