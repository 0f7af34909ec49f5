from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from omnioms.forecasting.blend import blend
from omnioms.forecasting.engine import forecast

from .conftest import daily

MONTH = date(2025, 1, 1)


@pytest.fixture(scope="module")
def base():
    """Three SKUs selling 10, 30 and 60 a day; the horizon starts mid-December."""
    start = date(2023, 1, 1)
    history = pd.concat(
        [daily(sku, start, np.full(715, rate)) for sku, rate in (("A", 10), ("B", 30), ("C", 60))]
    )
    return forecast(history, months=2)  # 2024-12-17 .. 2025-02-28


def month_row(blended, sku, month=MONTH):
    months = blended.months.set_index(["sku", "month"])
    return months.loc[(sku, month)]


def test_replace_makes_the_sales_figure_final(base):
    sales = pd.DataFrame({"sku": ["A"], "month": [MONTH], "quantity": [500.0]})
    blended = blend(base, sales, rule="replace")
    row = month_row(blended, "A")
    assert row["final"] == pytest.approx(500.0)
    assert row["statistical"] == pytest.approx(310.0, rel=0.05)
    untouched = month_row(blended, "B")
    assert untouched["final"] == pytest.approx(untouched["statistical"])
    assert np.isnan(untouched["sales"])


def test_add_puts_the_sales_figure_on_top(base):
    sales = pd.DataFrame({"sku": ["A"], "month": [MONTH], "quantity": [100.0]})
    row = month_row(blend(base, sales, rule="add"), "A")
    assert row["final"] == pytest.approx(row["statistical"] + 100.0)


def test_weighted_trusts_the_more_accurate_source_more(base):
    sales = pd.DataFrame({"sku": ["A"], "month": [MONTH], "quantity": [400.0]})
    accuracy = pd.DataFrame(
        {"key": ["*", "A"], "statistical_error": [0.2, 0.1], "sales_error": [0.2, 0.3]}
    )
    row = month_row(blend(base, sales, rule="weighted", accuracy=accuracy), "A")
    # Weights are inverse errors: 1/0.3 against 1/0.1, so the sales figure weighs 1/4.
    assert row["weight"] == pytest.approx(0.25)
    assert row["final"] == pytest.approx(0.75 * row["statistical"] + 0.25 * 400.0)


def test_weighted_without_measured_accuracy_is_refused(base):
    sales = pd.DataFrame({"sku": ["A"], "month": [MONTH], "quantity": [400.0]})
    with pytest.raises(ValueError, match="accuracy"):
        blend(base, sales, rule="weighted")


def test_a_family_figure_is_split_by_the_statistical_share(base):
    sales = pd.DataFrame({"family": ["shirts"], "month": [MONTH], "quantity": [1000.0]})
    families = {"A": "shirts", "B": "shirts", "C": "trousers"}
    blended = blend(base, sales, rule="replace", families=families)
    a, b = month_row(blended, "A"), month_row(blended, "B")
    assert a["final"] + b["final"] == pytest.approx(1000.0)
    assert a["final"] / b["final"] == pytest.approx(a["statistical"] / b["statistical"])
    assert np.isnan(month_row(blended, "C")["sales"])


def test_a_skus_own_figure_wins_over_its_familys_share(base):
    sales = pd.DataFrame(
        {
            "family": ["shirts", None],
            "sku": [None, "A"],
            "month": [MONTH, MONTH],
            "quantity": [1000.0, 7.0],
        }
    )
    blended = blend(base, sales, rule="replace", families={"A": "shirts", "B": "shirts"})
    assert month_row(blended, "A")["final"] == pytest.approx(7.0)


def test_a_figure_for_a_month_the_horizon_starts_in_counts_for_the_horizons_part(base):
    december = date(2024, 12, 1)
    sales = pd.DataFrame({"sku": ["A"], "month": [december], "quantity": [620.0]})  # 2x stat
    row = month_row(blend(base, sales, rule="replace"), "A", december)
    assert row["final"] == pytest.approx(2 * row["statistical"], rel=0.02)


def test_blended_days_still_add_up_to_weeks_and_months(base):
    sales = pd.DataFrame(
        {"sku": ["A", "B"], "month": [MONTH, date(2025, 2, 1)], "quantity": [333.33, 0.0]}
    )
    figures = blend(base, sales, rule="replace").figures
    for sku, rows in figures.groupby("sku"):
        days = rows[rows["level"] == "day"]
        for level in ("week", "month"):
            for _, period in rows[rows["level"] == level].iterrows():
                start = period["period_start"]
                if level == "week":
                    inside = days[
                        (days["period_start"] >= start)
                        & ((days["period_start"] - start).map(lambda d: d.days) < 7)
                    ]
                else:
                    inside = days[days["period_start"].map(lambda d: d.replace(day=1)) == start]
                total = sum(Decimal(str(q)) for q in inside["final"])
                assert Decimal(str(period["final"])) == total, (sku, level, start)
    month = figures[(figures["level"] == "month") & (figures["period_start"] == MONTH)]
    assert month.set_index("sku").loc["A", "final"] == pytest.approx(333.33)
    assert month.set_index("sku").loc["A", "sales"] == pytest.approx(333.33)
    assert (figures[["statistical", "final", "lower", "upper"]] >= 0).all().all()
    zero = figures[(figures["sku"] == "B") & (figures["period_start"] >= date(2025, 2, 1))]
    assert (zero["final"] == 0).all()
