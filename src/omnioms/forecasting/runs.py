"""A forecast run from the database: demand history and events in, a versioned snapshot out.

:func:`make_forecast_run` reads the demand history (``history``), the event calendar and the
sales team's figures, runs the pure engine (``engine.forecast``, then ``blend.blend`` with the
rule the run names), keeps the figures of the frozen window as the previous run fixed them,
and writes every figure with both inputs visible. :func:`accuracy_table` measures old runs
against what was then sold: WAPE, bias and MASE per level and lag, for the statistical
forecast and the final one, and the final's value added.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from omnioms.catalog.models import Sku
from omnioms.forecasting import accuracy as measures
from omnioms.forecasting.blend import blend
from omnioms.forecasting.calendar import Event
from omnioms.forecasting.engine import Settings, forecast
from omnioms.forecasting.history import daily_demand
from omnioms.forecasting.models import (
    BlendRule,
    DemandDay,
    DemandEvent,
    ForecastFigure,
    ForecastRun,
    Level,
    RunStatus,
    SalesInput,
)

HISTORY_DAYS = 3 * 365
FIGURE_PLACES = Decimal("0.001")


def _events() -> list[Event]:
    families: dict[int, frozenset[str]] = defaultdict(frozenset)
    for family_id, code in Sku.objects.exclude(family=None).values_list("family_id", "code"):
        families[family_id] = families[family_id] | {code}
    return [
        Event(
            name=f"{e.name} {e.start.isoformat()}",
            kind=e.name,  # the same name every year shares one uplift (618 of 2025 and 2026)
            start=e.start,
            end=e.end,
            skus=families.get(e.family_id) if e.family_id else None,
        )
        for e in DemandEvent.objects.all()
    ]


def _sales(months: list[date]) -> pd.DataFrame:
    rows = [
        {
            "sku": r.sku.code if r.sku else None,
            "family": r.family.code if r.family else None,
            "month": r.month,
            "quantity": float(r.quantity),
        }
        for r in SalesInput.objects.filter(month__in=months).select_related("sku", "family")
    ]
    return pd.DataFrame(rows, columns=["sku", "family", "month", "quantity"])


def make_forecast_run(
    *,
    as_of: date | None = None,
    horizon_months: int = 6,
    rule: str = BlendRule.WEIGHTED,
    frozen_days: int = 7,
    progress: Callable[[float, str], None] | None = None,
    job_id: int | None = None,
    settings: Settings | None = None,
) -> ForecastRun:
    """Forecast every SKU with demand from ``as_of`` (today: the history ends yesterday)."""
    today = as_of or timezone.localdate()
    report = progress or (lambda fraction, message: None)
    run = ForecastRun.objects.create(
        as_of=today,
        horizon_months=horizon_months,
        blend=rule,
        frozen_days=frozen_days,
        job_id=job_id,
    )
    try:
        report(0.05, "reading demand history")
        rows = daily_demand(today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1))
        if not rows:
            raise ValueError("there is no demand history to forecast from")
        history = pd.DataFrame(rows, columns=["sku", "date", "quantity"])
        report(0.2, "forecasting")
        result = forecast(
            history,
            months=horizon_months,
            events=_events(),
            settings=settings,
            last_day=today - timedelta(days=1),
        )
        report(0.7, "blending the sales input")
        families = dict(Sku.objects.exclude(family=None).values_list("code", "family__code"))
        months = sorted({m for m in result.months["month"]})
        weighted_accuracy = accuracy_weights() if rule == BlendRule.WEIGHTED else None
        chosen = rule
        if rule == BlendRule.WEIGHTED and weighted_accuracy is None:
            chosen = BlendRule.REPLACE  # no run measured yet: the sales figure stands as given
        blended = blend(
            result,
            _sales(months),
            rule=chosen,  # type: ignore[arg-type]
            families=families,
            accuracy=weighted_accuracy,
        )
        report(0.85, "writing figures")
        _write(run, blended.figures, result.skus, frozen_days)
        run.status = RunStatus.READY
        run.summary = {
            "skus": int(result.skus.shape[0]),
            "rule": chosen,
            "models": result.skus["model"].value_counts().to_dict(),
        }
        run.save(update_fields=["status", "summary"])
    except Exception:
        ForecastRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED)
        raise
    report(1.0, "done")
    return run


def _write(run: ForecastRun, figures: pd.DataFrame, skus: pd.DataFrame, frozen_days: int) -> None:
    """Store the figures; days inside the frozen window keep the previous run's final figure,
    and the weeks and months holding them are summed again, so the levels stay coherent."""
    ids = dict(Sku.objects.filter(code__in=figures["sku"].unique()).values_list("code", "pk"))
    model_of = dict(zip(skus["sku"], skus["model"], strict=True))
    frozen_until = run.as_of + timedelta(days=frozen_days)
    previous = (
        ForecastRun.objects.filter(status=RunStatus.READY, as_of__lt=run.as_of)
        .exclude(pk=run.pk)
        .first()
    )
    fixed: dict[tuple[int, date], Decimal] = {}
    if previous is not None and frozen_days:
        fixed = {
            (sku_id, day): final
            for sku_id, day, final in ForecastFigure.objects.filter(
                run=previous,
                level=Level.DAY,
                period_start__gte=run.as_of,
                period_start__lt=frozen_until,
                frozen=False,
            ).values_list("sku_id", "period_start", "final")
        } | {
            (sku_id, day): final
            for sku_id, day, final in ForecastFigure.objects.filter(
                run=previous, level=Level.DAY, period_start__gte=run.as_of, frozen=True
            ).values_list("sku_id", "period_start", "final")
        }
    rows: list[ForecastFigure] = []
    change: dict[tuple[int, str, date], Decimal] = defaultdict(Decimal)
    for record in figures.itertuples(index=False):
        sku_id = ids.get(record.sku)
        if sku_id is None:
            continue
        final = _decimal(record.final)
        frozen = False
        if record.level == Level.DAY and (sku_id, record.period_start) in fixed:
            kept = fixed[(sku_id, record.period_start)]
            delta = kept - final
            final, frozen = kept, True
            week = record.period_start - timedelta(days=record.period_start.weekday())
            change[(sku_id, Level.WEEK, week)] += delta
            change[(sku_id, Level.MONTH, record.period_start.replace(day=1))] += delta
        rows.append(
            ForecastFigure(
                run=run,
                sku_id=sku_id,
                level=record.level,
                period_start=record.period_start,
                statistical=_decimal(record.statistical),
                lower=_decimal(record.lower),
                upper=_decimal(record.upper),
                sales=None if pd.isna(record.sales) else _decimal(record.sales),
                final=final,
                model=str(model_of.get(record.sku, ""))[:50],
                frozen=frozen,
            )
        )
    for row in rows:
        moved = change.get((row.sku_id, row.level, row.period_start))
        if moved:
            row.final = max(Decimal(0), row.final + moved)
    with transaction.atomic():
        ForecastFigure.objects.bulk_create(rows, batch_size=5000)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(float(value))).quantize(FIGURE_PLACES) if not pd.isna(value) else Decimal(0)


# ----------------------------------------------------------------------------------------------
# Accuracy, measured afterwards


def _actuals(level: str, start: date, end: date) -> dict[tuple[int, date], Decimal]:
    totals: dict[tuple[int, date], Decimal] = defaultdict(Decimal)
    for sku_id, day, quantity in DemandDay.objects.filter(day__gte=start, day__lte=end).values_list(
        "sku_id", "day", "quantity"
    ):
        totals[(sku_id, _period(level, day))] += quantity
    return totals


def _period(level: str, day: date) -> date:
    if level == Level.WEEK:
        return day - timedelta(days=day.weekday())
    if level == Level.MONTH:
        return day.replace(day=1)
    return day


def accuracy_rows(*, until: date | None = None) -> pd.DataFrame:
    """Every past figure whose period has ended, beside what was sold in it: one row per run,
    SKU, level and period, with its lag (periods between the run's date and the period)."""
    end = until or timezone.localdate() - timedelta(days=1)
    records: list[dict[str, Any]] = []
    for level in (Level.DAY, Level.WEEK, Level.MONTH):
        figures = list(
            ForecastFigure.objects.filter(level=level, run__status=RunStatus.READY).values_list(
                "run_id", "run__as_of", "sku_id", "period_start", "statistical", "final", "sales"
            )
        )
        ended = [f for f in figures if _period_end(level, f[3]) <= end]
        if not ended:
            continue
        actual = _actuals(level, min(f[3] for f in ended), end)
        for run_id, as_of, sku_id, start, statistical, final, sales in ended:
            sold = float(actual.get((sku_id, start), 0))
            lag = _lag(level, as_of, start)
            sources = [("statistical", statistical), ("final", final)]
            if sales is not None:
                sources.append(("sales", sales))
            for source, value in sources:
                records.append(
                    {
                        "run": run_id,
                        "sku": sku_id,
                        "level": str(level),
                        "lag": lag,
                        "source": source,
                        "actual": sold,
                        "forecast": float(value),
                    }
                )
    return pd.DataFrame(
        records, columns=["run", "sku", "level", "lag", "source", "actual", "forecast"]
    )


def _period_end(level: str, start: date) -> date:
    if level == Level.WEEK:
        return start + timedelta(days=6)
    if level == Level.MONTH:
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return start


def _lag(level: str, as_of: date, start: date) -> int:
    if level == Level.WEEK:
        return max(0, (start - _period(level, as_of)).days // 7)
    if level == Level.MONTH:
        return max(0, (start.year - as_of.year) * 12 + start.month - as_of.month)
    return max(0, (start - as_of).days)


def accuracy_table(*, until: date | None = None) -> pd.DataFrame:
    """WAPE and bias per level, lag and source, and the final's value added over the
    statistical forecast (positive: the sales input made it better)."""
    rows = accuracy_rows(until=until)
    if rows.empty:
        return pd.DataFrame(columns=["level", "lag", "source", "wape", "bias", "value_added"])
    table = measures.scores(rows, by=("level", "lag", "source")).reset_index()
    stat = table[table["source"] == "statistical"].set_index(["level", "lag"])["wape"]
    table["value_added"] = [
        stat.get((r.level, r.lag), np.nan) - r.wape if r.source == "final" else np.nan
        for r in table.itertuples()
    ]
    return table


def accuracy_weights() -> pd.DataFrame | None:
    """Month-level errors of the statistical forecast and of the sales input, over the months
    where the sales team gave a figure, for the weighted blend (``key`` ``*``: one pair for
    every SKU); None until such a month has ended."""
    rows = accuracy_rows()
    if rows.empty:
        return None
    months = rows[rows["level"] == Level.MONTH]
    given = months[months["source"] == "sales"][["run", "sku", "lag"]]
    paired = months.merge(given, on=["run", "sku", "lag"])
    if paired.empty:
        return None
    table = measures.scores(paired, by=("source",))
    stat, sales = table.loc["statistical", "wape"], table.loc["sales", "wape"]
    if pd.isna(stat) or pd.isna(sales):
        return None
    return pd.DataFrame(
        [{"key": "*", "statistical_error": float(stat), "sales_error": float(sales)}]
    )
