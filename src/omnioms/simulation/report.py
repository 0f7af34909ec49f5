"""The run's report in DIR: ``kpis.json``, ``kpis.csv`` and ``report.html`` (echarts, offline)."""

from __future__ import annotations

import csv
import html
import json
import shutil
import string
from pathlib import Path
from typing import Any

ECHARTS = "echarts.min.js"
TEMPLATE_DIR = Path(__file__).resolve().parent / "templates" / "simulation"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "simulation"
ASSETS = ("report.js", "report.css")
LABELS = {
    "otd": "On-time delivery",
    "oee": "OEE",
    "inventory_days": "Inventory days",
    "forecast_accuracy": "Forecast accuracy",
    "rush_accepted_share": "Rush orders accepted",
    "stockout_days": "Stock-out SKU-days",
    "overtime_hours": "Overtime (machine-hours)",
}
COLUMNS = (
    "otd",
    "oee",
    "inventory_days",
    "benchmark_days",
    "forecast_accuracy",
    "rush_accepted_share",
    "stockout_days",
    "overtime_hours",
    "exceptions_opened",
    "t3_warnings",
)
FLOOR_TYPES = ("behind_plan", "late_finish", "scrap", "material_variance", "t3")


def echarts_file() -> Path | None:
    """echarts' minified file from the project's node_modules (settings.NODE_MODULES)."""
    try:
        from django.conf import settings

        base = Path(settings.NODE_MODULES)
    except Exception:  # without Django: the repository's node_modules
        base = Path(__file__).resolve().parents[3] / "node_modules"
    path = base / "echarts" / "dist" / ECHARTS
    return path if path.is_file() else None


def write_report(out: Path, result: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "kpis.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    with (out / "kpis.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["policy", "period", *COLUMNS])
        for policy, figures in result["policies"].items():
            writer.writerow([policy, "year", *(_cell(figures.get(c)) for c in COLUMNS)])
            for month in figures["months"]:
                row = {**month, "benchmark_days": figures["benchmark_days"]}
                writer.writerow([policy, month["month"], *(_cell(row.get(c)) for c in COLUMNS)])
    source = echarts_file()
    if source is not None:
        shutil.copyfile(source, out / ECHARTS)
    for asset in ASSETS:
        shutil.copyfile(STATIC_DIR / asset, out / asset)
    (out / "report.html").write_text(render_html(result), encoding="utf-8")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %"


def render_html(result: dict[str, Any], *, script_src: str = ECHARTS) -> str:
    """A page of the year's figures and the months' charts, side by side per policy."""
    policies = result["policies"]
    rows = []
    for name, f in policies.items():
        met = f.get("targets_met", {})
        rows.append(
            "<tr><th>{}</th><td class='{}'>{}</td><td class='{}'>{}</td>"
            "<td class='{}'>{} <small>({}–{})</small></td><td>{}</td><td>{}</td><td>{}</td>"
            "<td>{}</td></tr>".format(
                html.escape(name),
                "ok" if met.get("otd") else "miss",
                _pct(f["otd"]),
                "ok" if met.get("oee") else "miss",
                _pct(f["oee"]),
                "ok" if met.get("inventory_days") else "miss",
                f["inventory_days"],
                f["benchmark_low"],
                f["benchmark_high"],
                _pct(f["forecast_accuracy"]),
                f"{f['rush_accepted']}/{f['rush_requested']}",
                f["stockout_days"],
                f["overtime_hours"],
            )
        )
    series: dict[str, Any] = {
        name: {
            "months": [m["month"] for m in f["months"]],
            **{k: [m.get(k) for m in f["months"]] for k in LABELS if k in f["months"][0]},
            "benchmark": [f["benchmark_low"], f["benchmark_high"]],
        }
        for name, f in policies.items()
        if f["months"]
    }
    data = json.dumps({"__labels__": LABELS, **series})
    floor = "".join(_floor_table(name, f) for name, f in policies.items() if f.get("factory"))
    title = html.escape(f"{result.get('scenario', '')}: {result.get('days', '')} days")
    page = string.Template((TEMPLATE_DIR / "report_page.html").read_text(encoding="utf-8"))
    return page.substitute(
        title=title,
        rows="".join(rows),
        floor=floor,
        benchmark=html.escape(str(next(iter(policies.values()))["benchmark_days"])),
        script_src=html.escape(script_src),
        # the figures as a JSON data block (not run; report.js reads it)
        data_script='<script type="application/json" id="report-data">'
        + data.replace("</", "<\\/")
        + "</script>",
    )


def _floor_table(name: str, f: dict[str, Any]) -> str:
    """What the daily close and the T-3 scan found, per month (a policy run through the
    planning and floor services)."""
    factory = f["factory"]
    by_month = factory.get("exceptions_by_month", {})
    head = "".join(f"<th>{html.escape(t)}</th>" for t in FLOOR_TYPES)
    body = "".join(
        "<tr><th>{}</th>{}</tr>".format(
            html.escape(month),
            "".join(f"<td>{counts.get(t, 0)}</td>" for t in FLOOR_TYPES),
        )
        for month, counts in by_month.items()
    )
    return (
        f"<h2>{html.escape(name)}: the daily close and T-3</h2>"
        f"<p>{factory['production_orders']} production orders, "
        f"{factory['plans_published']} plans published, {factory['floor_reports']} floor "
        f"reports, {factory['daily_closes']} daily closes; exceptions opened per month "
        f"(T-3: warnings), {factory['t3_open_at_end']} T-3 loops open at the end.</p>"
        f"<table><thead><tr><th>month</th>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
