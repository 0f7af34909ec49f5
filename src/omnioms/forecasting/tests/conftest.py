"""Small synthetic histories shared by the forecasting tests (fast: tens of SKUs, two years)."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from omnioms.forecasting.synthetic import demand_history


def daily(sku: str, start: date, values: list[float] | np.ndarray) -> pd.DataFrame:
    """One SKU's history, a value per day from ``start`` (zeros left out, as in a file)."""
    days = [start + timedelta(days=i) for i in range(len(values))]
    frame = pd.DataFrame({"sku": sku, "date": days, "quantity": np.asarray(values, dtype=float)})
    return frame[frame["quantity"] > 0].reset_index(drop=True)


@pytest.fixture(scope="session")
def shop_history() -> pd.DataFrame:
    return demand_history(24, date(2023, 1, 1), date(2024, 12, 31), seed=5)
