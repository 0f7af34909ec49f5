"""Simulation runs from the web page: what-if changes, the job, the report folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from omnioms.core.actor import Actor
from omnioms.core.jobs import JobCancelled, start_job
from omnioms.simulation.models import SimulationRun
from omnioms.simulation.runner import SimulationCancelled, run_simulation
from omnioms.simulation.scenario import Scenario, ScenarioError, load_scenario


def runs_dir() -> Path:
    return Path(settings.DATA_DIR) / "simulations"


def apply_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """The scenario with the page's what-if values: ``demand_change_pct`` (every product's base
    demand), ``work_center`` and ``machines`` (its machine count), ``benchmark_days``."""
    data = scenario.model_dump(mode="json")
    pct = changes.get("demand_change_pct")
    if pct:
        for product in data["products"]:
            product["demand"]["base"] = product["demand"]["base"] * (1 + float(pct) / 100)
    if changes.get("work_center") and changes.get("machines"):
        codes = [wc["code"] for wc in data["work_centers"]]
        if changes["work_center"] not in codes:
            raise ScenarioError(
                scenario.name,
                [
                    (
                        "work_center",
                        _("no work centre %(code)s; it has %(codes)s")
                        % {"code": changes["work_center"], "codes": ", ".join(codes)},
                    )
                ],
            )
        for wc in data["work_centers"]:
            if wc["code"] == changes["work_center"]:
                wc["machines"] = int(changes["machines"])
    if changes.get("benchmark_days"):
        data["benchmark_inventory_days"] = float(changes["benchmark_days"])
    return scenario.with_changes(data)


def start_run(
    scenario_name: str, *, days: int, changes: dict[str, Any], actor: Actor
) -> SimulationRun:
    scenario = apply_changes(load_scenario(scenario_name), changes)  # refuses bad values now
    with transaction.atomic():
        run = SimulationRun.objects.create(
            scenario=scenario.name,
            changes=changes,
            days=min(days, scenario.days),
            created_by_id=actor.user_id,
        )
        run.job = start_job(
            "simulation.run",
            actor=actor,
            label=_("Simulation of %(name)s, %(days)s days") % {"name": run.scenario, "days": days},
            run_id=run.pk,
        )
        run.out_dir = str(runs_dir() / str(run.pk))
        run.save(update_fields=["job", "out_dir"])
    return run


def execute_run(
    run_id: int,
    *,
    progress: Callable[[float, str], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    run = SimulationRun.objects.get(pk=run_id)
    scenario = apply_changes(load_scenario(run.scenario), run.changes)
    try:
        result = run_simulation(
            scenario, Path(run.out_dir), days=run.days, progress=progress, cancelled=cancelled
        )
    except SimulationCancelled:
        raise JobCancelled from None
    run.result = result
    run.save(update_fields=["result"])
    return {"run": run.pk}
