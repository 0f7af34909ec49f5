from __future__ import annotations

import math

import pandas as pd
import pytest

from omnioms.forecasting.accuracy import bias, mase, rmsse, scores, value_added, wape

ACTUAL = [10, 0, 5, 5]
FORECAST = [8, 1, 5, 8]


def test_wape_is_absolute_errors_over_absolute_actuals():
    assert wape(ACTUAL, FORECAST) == pytest.approx((2 + 1 + 0 + 3) / 20)


def test_bias_is_positive_when_the_forecast_is_too_high():
    assert bias(ACTUAL, FORECAST) == pytest.approx((-2 + 1 + 0 + 3) / 20)
    assert bias([4, 4], [2, 2]) == pytest.approx(-0.5)


def test_mase_scales_by_the_in_sample_seasonal_naive_error():
    insample = [1, 2, 3, 5, 4, 6]  # season 2: differences 2, 3, 1, 1 -> mean 1.75
    assert mase(ACTUAL, FORECAST, insample, season=2) == pytest.approx((6 / 4) / 1.75)


def test_rmsse_scales_by_the_in_sample_seasonal_naive_squared_error():
    insample = [1, 2, 3, 5, 4, 6]  # squared differences 4, 9, 1, 1 -> mean 3.75
    expected = math.sqrt(((4 + 1 + 0 + 9) / 4) / 3.75)
    assert rmsse(ACTUAL, FORECAST, insample, season=2) == pytest.approx(expected)


def test_no_sales_has_no_percentage_error():
    assert math.isnan(wape([0, 0], [1, 2]))
    assert math.isnan(mase([1], [1], [3, 3, 3], season=1))


def test_value_added_is_the_references_error_minus_the_sources():
    sales_team = [9, 0, 6, 5]  # WAPE 0.1
    assert value_added(ACTUAL, sales_team, reference=FORECAST) == pytest.approx(0.3 - 0.1)
    assert value_added(ACTUAL, FORECAST, reference=sales_team) == pytest.approx(-0.2)


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="shape"):
        wape([1, 2], [1])


def test_scores_per_level_lag_and_source():
    frame = pd.DataFrame(
        {
            "level": ["month"] * 4 + ["week"] * 2,
            "lag": [1, 1, 2, 2, 1, 1],
            "source": ["stat", "sales", "stat", "stat", "stat", "stat"],
            "actual": [10, 10, 4, 6, 2, 0],
            "forecast": [12, 9, 4, 3, 1, 1],
            "scale": [2, 2, 1, 1, 0.5, 0.5],
        }
    )
    table = scores(frame).set_index(["level", "lag", "source"])
    assert table.loc[("month", 1, "stat"), "wape"] == pytest.approx(0.2)
    assert table.loc[("month", 1, "sales"), "bias"] == pytest.approx(-0.1)
    assert table.loc[("month", 2, "stat"), "wape"] == pytest.approx(3 / 10)
    assert table.loc[("month", 2, "stat"), "mase"] == pytest.approx((0 / 1 + 3 / 1) / 2)
    assert table.loc[("week", 1, "stat"), "bias"] == pytest.approx(0.0)
    assert table.loc[("week", 1, "stat"), "n"] == 2
