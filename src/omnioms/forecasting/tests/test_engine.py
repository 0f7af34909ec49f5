from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from omnioms.forecasting.calendar import Event, Horizon, iso_monday, month_end
from omnioms.forecasting.engine import Forecast, Settings, forecast
from omnioms.forecasting.methods import INTERMITTENT_MODELS
from omnioms.forecasting.synthetic import marketplace_events

from .conftest import daily


def assert_coherent(result: Forecast) -> None:
    """Every day of the horizon is there; whole weeks and months are exact sums of days."""
    figures = result.figures
    horizon = result.horizon
    assert (figures[["quantity", "lower", "upper"]] >= 0).all().all()
    assert (figures["lower"] <= figures["quantity"]).all()
    assert (figures["quantity"] <= figures["upper"]).all()
    for sku, rows in figures.groupby("sku"):
        days = rows[rows["level"] == "day"]
        expected_days = [
            horizon.start + timedelta(days=i) for i in range((horizon.end - horizon.start).days + 1)
        ]
        assert list(days["period_start"]) == expected_days, sku
        by_day = {
            d: Decimal(str(q)) for d, q in zip(days["period_start"], days["quantity"], strict=True)
        }
        weeks = rows[rows["level"] == "week"]
        assert list(weeks["period_start"]) == horizon.whole_weeks()
        for monday, quantity in zip(weeks["period_start"], weeks["quantity"], strict=True):
            total = sum(by_day[monday + timedelta(days=i)] for i in range(7))
            assert Decimal(str(quantity)) == total, (sku, monday)
        months = rows[rows["level"] == "month"]
        assert list(months["period_start"]) == horizon.whole_months()
        for first, quantity in zip(months["period_start"], months["quantity"], strict=True):
            total = sum(q for d, q in by_day.items() if d.replace(day=1) == first)
            assert Decimal(str(quantity)) == total, (sku, first)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_days_add_up_exactly_to_weeks_and_months_at_random_horizons(shop_history, seed):
    rng = np.random.default_rng(seed)
    last_day = date(2024, 12, 31) - timedelta(days=int(rng.integers(0, 60)))
    months = int(rng.integers(1, 5))
    decimals = int(rng.integers(0, 3))
    result = forecast(
        shop_history,
        months=months,
        last_day=last_day,
        events=marketplace_events(range(2023, 2026)),
        settings=Settings(decimals=decimals),
    )
    assert result.horizon == Horizon.after(last_day, months)
    assert result.horizon.end == month_end(
        date(
            last_day.year + (last_day.month + months - 1) // 12,
            (last_day.month + months - 1) % 12 + 1,
            1,
        )
    )
    scaled = result.figures["quantity"] * 10**decimals
    assert np.allclose(scaled, np.rint(scaled))
    assert_coherent(result)


def test_a_horizon_from_mid_month_has_only_whole_weeks_and_months():
    horizon = Horizon.after(date(2024, 5, 15), 1)  # Thursday 16 May to 30 June
    assert horizon.start == date(2024, 5, 16)
    assert horizon.end == date(2024, 6, 30)
    assert horizon.whole_weeks()[0] == date(2024, 5, 20)
    assert horizon.whole_weeks()[-1] == iso_monday(date(2024, 6, 30))
    assert horizon.whole_months() == [date(2024, 6, 1)]


def test_quantities_stay_non_negative_when_sales_collapse():
    falling = np.r_[np.full(500, 20.0), np.linspace(20, 0, 150), np.zeros(80)]
    history = daily("GOING", date(2023, 1, 1), falling)
    history = pd.concat([history, daily("STEADY", date(2023, 1, 1), np.full(730, 3.0))])
    result = forecast(history, months=3)
    assert (result.figures[["quantity", "lower", "upper"]] >= 0).all().all()
    assert_coherent(result)


def test_an_intermittent_series_is_given_an_intermittent_model():
    rng = np.random.default_rng(0)
    sparse = np.zeros(730)
    sparse[rng.choice(730, size=12, replace=False)] = rng.integers(1, 4, size=12)
    history = pd.concat(
        [
            daily("SLOW", date(2023, 1, 1), sparse),
            daily("FAST", date(2023, 1, 1), np.full(730, 5.0)),
        ]
    )
    result = forecast(history, months=2)
    models = result.skus.set_index("sku")
    assert models.loc["SLOW", "kind"] == "intermittent"
    assert models.loc["SLOW", "model"] in INTERMITTENT_MODELS
    assert models.loc["FAST", "model"] not in INTERMITTENT_MODELS
    # A slow mover's small monthly rate survives rounding: the months are not all zero.
    months = result.figures[
        (result.figures["sku"] == "SLOW") & (result.figures["level"] == "month")
    ]
    assert months["quantity"].sum() > 0
    assert_coherent(result)


def _promo_history(uplift: float) -> tuple[pd.DataFrame, list[Event]]:
    """Ten units a day; a 'promo' on the 10th of each month sells ``uplift`` times as much."""
    start = date(2023, 1, 1)
    values = np.full(731, 10.0)
    events = []
    for i in range(731):
        day = start + timedelta(days=i)
        if day.day == 10:
            values[i] *= uplift
            events.append(Event("promo", day, day, kind="promo"))
    return daily("A", start, values), events


def test_an_events_uplift_is_learned_and_applied_to_future_event_days():
    history, events = _promo_history(uplift=4.0)
    future = [Event("promo", date(2025, 1, 10), date(2025, 1, 10), kind="promo")]
    result = forecast(history, months=1, events=events + future)
    uplift = result.uplifts.set_index(["sku", "event_kind"]).loc[("A", "promo")]
    assert uplift["learned"]
    assert uplift["uplift"] == pytest.approx(4.0, rel=0.05)
    days = result.figures[result.figures["level"] == "day"].set_index("period_start")["quantity"]
    # The ordinary days are not inflated by the history's promotions ...
    assert days.drop(date(2025, 1, 10)).mean() == pytest.approx(10.0, rel=0.05)
    # ... and the promotion day to come gets the uplift back.
    assert days[date(2025, 1, 10)] == pytest.approx(40.0, rel=0.08)


def test_without_the_event_calendar_the_promotions_inflate_every_day():
    history, _events = _promo_history(uplift=4.0)
    result = forecast(history, months=1)
    days = result.figures[result.figures["level"] == "day"]
    assert days["quantity"].mean() > 10.5  # the history's 10ths are read as ordinary demand


def test_an_event_limited_to_some_skus_lifts_only_those():
    history, events = _promo_history(uplift=3.0)
    other = daily("B", date(2023, 1, 1), np.full(731, 10.0))
    scoped = [
        Event(e.name, e.start, e.end, skus=frozenset({"A"}), kind="promo")
        for e in [*events, Event("promo", date(2025, 1, 10), date(2025, 1, 10))]
    ]
    result = forecast(pd.concat([history, other]), months=1, events=scoped)
    day = result.figures[
        (result.figures["level"] == "day") & (result.figures["period_start"] == date(2025, 1, 10))
    ]
    by_sku = day.set_index("sku")["quantity"]
    assert by_sku["A"] == pytest.approx(30.0, rel=0.08)
    assert by_sku["B"] == pytest.approx(10.0, rel=0.05)


def test_a_moving_festival_teaches_one_dip_across_its_dates():
    start = date(2022, 1, 1)
    values = np.full(1096, 10.0)
    festival_days = [(date(2022, 2, 1), 7), (date(2023, 1, 22), 7), (date(2024, 2, 10), 7)]
    events = []
    for first, length in festival_days:
        offset = (first - start).days
        values[offset : offset + length] = 3.0
        events.append(
            Event("Spring Festival", first, first + timedelta(days=length - 1), kind="sf")
        )
    events.append(Event("Spring Festival", date(2025, 1, 29), date(2025, 2, 4), kind="sf"))
    result = forecast(daily("A", start, values), months=2, events=events)
    days = result.figures[result.figures["level"] == "day"].set_index("period_start")["quantity"]
    assert days[date(2025, 1, 30)] == pytest.approx(3.0, rel=0.1)
    assert days[date(2025, 1, 20)] == pytest.approx(10.0, rel=0.1)


def test_the_month_is_forecast_first_and_shared_to_days_by_the_weekday_profile():
    start = date(2023, 1, 2)  # a Monday
    rhythm = np.array([1, 1, 1, 1, 1, 2, 2], dtype=float) * 6  # weekends sell double
    values = np.tile(rhythm, 105)
    history = daily("A", start, values)
    result = forecast(history, months=2)
    figures = result.figures.set_index(["level", "period_start"])["quantity"]
    first_month = result.horizon.whole_months()[0]
    days = [d for lvl, d in figures.index if lvl == "day" and d.replace(day=1) == first_month]
    saturday = next(d for d in days if d.weekday() == 5)
    monday = next(d for d in days if d.weekday() == 0)
    assert figures[("day", saturday)] / figures[("day", monday)] == pytest.approx(2.0, rel=0.03)
    month_total = Decimal(str(figures[("month", first_month)]))
    assert month_total == sum(Decimal(str(figures[("day", d)])) for d in days)
    # The month's level is the history's: 6 a weekday, 12 a weekend day.
    expected = sum(12 if d.weekday() >= 5 else 6 for d in days)
    assert float(month_total) == pytest.approx(expected, rel=0.03)


def test_a_new_sku_with_a_few_weeks_of_history_is_forecast_from_its_recent_rate():
    history = pd.concat(
        [
            daily("OLD", date(2023, 1, 1), np.full(730, 4.0)),
            daily("NEW", date(2024, 12, 3), np.full(29, 2.0)),
        ]
    )
    result = forecast(history, months=1)
    skus = result.skus.set_index("sku")
    assert skus.loc["NEW", "kind"] == "short"
    month = result.figures[(result.figures["sku"] == "NEW") & (result.figures["level"] == "month")]
    assert month["quantity"].iloc[0] == pytest.approx(62.0, rel=0.1)  # 31 days of 2


def test_an_empty_history_is_refused():
    with pytest.raises(ValueError, match="empty"):
        forecast(pd.DataFrame(columns=["sku", "date", "quantity"]), months=1)


def test_the_engine_imports_without_django_or_a_database():
    code = (
        "import sys\n"
        "import omnioms.forecasting.engine, omnioms.forecasting.blend\n"
        "import omnioms.forecasting.accuracy, omnioms.forecasting.cli\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'\n"
        "assert 'statsforecast' not in sys.modules, 'statsforecast loaded at import'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
