"""A forecast run from the database: coherent figures, both inputs kept, the frozen window, and
accuracy measured afterwards."""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from omnioms.catalog.models import ProductFamily, Sku
from omnioms.core.actor import Actor
from omnioms.core.jobs import run_job, start_job
from omnioms.core.models import JobStatus
from omnioms.forecasting.history import import_demand_history
from omnioms.forecasting.models import (
    BlendRule,
    DemandDay,
    DemandSource,
    ForecastFigure,
    ForecastRun,
    Level,
    RunStatus,
)
from omnioms.forecasting.runs import accuracy_table, make_forecast_run
from omnioms.forecasting.services import SalesFigure, save_sales_input
from omnioms.inventory.tests.factories import account, sku

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 2)
PLANNER = Actor("user", "planner")


@pytest.fixture
def history() -> None:
    """Fourteen months of daily sales of two SKUs, a weekly rhythm and a summer season."""
    knits = ProductFamily.objects.create(code="KNIT", name="Knits")
    for code in ("TEE", "CAP"):
        sku(code)
    Sku.objects.filter(code="TEE").update(family=knits)
    rows = ["sku,date,quantity"]
    day = AS_OF - timedelta(days=430)
    while day < AS_OF:
        season = 1 + 0.4 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 196) / 365)
        weekend = 1.4 if day.weekday() >= 5 else 1.0
        rows.append(f"TEE,{day},{round(20 * season * weekend)}")
        if day.toordinal() % 3 == 0:
            rows.append(f"CAP,{day},2")
        day += timedelta(days=1)
    report = import_demand_history("\n".join(rows) + "\n", account=account("tmall"))
    assert report.problems == []


def test_a_run_writes_coherent_figures_at_three_levels(history: None) -> None:
    run = make_forecast_run(as_of=AS_OF, horizon_months=2, rule=BlendRule.REPLACE)

    assert run.status == RunStatus.READY
    assert run.summary["skus"] == 2
    figures = ForecastFigure.objects.filter(run=run, sku__code="TEE")
    days = {f.period_start: f.final for f in figures.filter(level=Level.DAY)}
    assert min(days) == AS_OF
    assert max(days) == date(2026, 5, 31)  # to the end of the second month after February
    for month in figures.filter(level=Level.MONTH):
        in_month = [v for d, v in days.items() if d.replace(day=1) == month.period_start]
        assert sum(in_month) == month.final  # exactly
    for week in figures.filter(level=Level.WEEK):
        in_week = [days[week.period_start + timedelta(days=n)] for n in range(7)]
        assert sum(in_week) == week.final
    assert all(f.final >= 0 and f.model for f in figures)


def test_the_sales_teams_family_figure_is_shared_out_and_kept_beside_the_statistics(
    history: None,
) -> None:
    save_sales_input([SalesFigure("KNIT", date(2026, 4, 1), Decimal(2000))], actor=PLANNER)

    run = make_forecast_run(as_of=AS_OF, horizon_months=2, rule=BlendRule.REPLACE)

    april = ForecastFigure.objects.get(
        run=run, sku__code="TEE", level=Level.MONTH, period_start=date(2026, 4, 1)
    )
    assert april.sales == Decimal("2000.000")  # TEE is the family's only SKU
    assert april.final == Decimal("2000.000")
    assert april.statistical != april.final


def test_the_frozen_days_keep_the_previous_runs_figures(history: None) -> None:
    first = make_forecast_run(as_of=AS_OF, horizon_months=2, rule=BlendRule.REPLACE)
    kept = {
        f.period_start: f.final
        for f in ForecastFigure.objects.filter(run=first, sku__code="TEE", level=Level.DAY)
    }
    DemandDay.objects.filter(sku__code="TEE", source=DemandSource.IMPORTED).update(quantity=1)

    second = make_forecast_run(
        as_of=AS_OF + timedelta(days=1), horizon_months=2, rule=BlendRule.REPLACE, frozen_days=10
    )

    days = ForecastFigure.objects.filter(run=second, sku__code="TEE", level=Level.DAY)
    frozen = {f.period_start: f.final for f in days.filter(frozen=True)}
    assert sorted(frozen) == [AS_OF + timedelta(days=n) for n in range(1, 11)]
    assert all(frozen[d] == kept[d] for d in frozen)
    later = days.get(period_start=AS_OF + timedelta(days=20))
    assert later.final < kept[later.period_start]  # the new history is much lower
    # The first whole week (9 to 15 March) holds four frozen days: still their exact sum.
    week = ForecastFigure.objects.get(
        run=second, sku__code="TEE", level=Level.WEEK, period_start=date(2026, 3, 9)
    )
    assert week.final == sum(
        f.final for f in days.filter(period_start__range=(date(2026, 3, 9), date(2026, 3, 15)))
    )


def test_accuracy_is_measured_once_the_periods_have_ended(history: None) -> None:
    old_as_of = AS_OF - timedelta(days=60)
    make_forecast_run(as_of=old_as_of, horizon_months=1, rule=BlendRule.REPLACE)

    table = accuracy_table(until=AS_OF - timedelta(days=1))

    levels = set(table["level"])
    assert {"day", "week", "month"} <= levels
    assert set(table["source"]) == {"statistical", "final"}
    assert (table["wape"] >= 0).all()


def test_a_forecast_run_as_a_job_reports_its_run() -> None:
    job = start_job("forecasting.run", actor=PLANNER, as_of=AS_OF.isoformat())

    assert run_job(job.pk) == JobStatus.FAILED  # no history at all: said plainly
    job.refresh_from_db()
    assert "no demand history" in job.error
    assert ForecastRun.objects.get().status == RunStatus.FAILED


def test_demand_per_sku_and_day_feeds_the_engine_summed_over_channels(history: None) -> None:
    extra = ["sku,date,quantity", f"TEE,{AS_OF - timedelta(days=1)},1000"]
    import_demand_history("\n".join(extra) + "\n", account=account("douyin"))

    run = make_forecast_run(as_of=AS_OF, horizon_months=1, rule=BlendRule.REPLACE)

    totals: dict[str, Decimal] = defaultdict(Decimal)
    for code, final in ForecastFigure.objects.filter(run=run, level=Level.MONTH).values_list(
        "sku__code", "final"
    ):
        totals[code] += final
    assert totals["TEE"] > totals["CAP"] > 0


def test_the_command_line_imports_history_and_makes_a_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from omnioms.cli import build_parser

    sku("TEE")
    account("tmall")
    history = tmp_path / "history.csv"
    rows = [f"TEE,{AS_OF - timedelta(days=n)},{5 + n % 7}" for n in range(1, 200)]
    history.write_text("sku,date,quantity\n" + "\n".join(rows) + "\n")
    parser = build_parser()

    imported = parser.parse_args(["forecast", "import-history", "--account", "tmall", str(history)])
    assert imported.func(imported) == 0
    run = parser.parse_args(["forecast", "run", "--as-of", AS_OF.isoformat(), "--months", "1"])
    assert run.func(run) == 0

    out = capsys.readouterr().out
    assert "199 SKU-days of history imported" in out
    assert ForecastRun.objects.get().status == RunStatus.READY
    bad = parser.parse_args(["forecast", "run", "--as-of", "2026-13-01"])
    assert bad.func(bad) == 2
