"""Pure KPI engines: OEE, on-time delivery, inventory days and schedule adherence.

No Django and no database: typed dataclasses in, typed dataclasses out, so the dashboards, the
daily close, the simulated year and ``omnioms kpi`` on a factory's own exported logs all run the
same code. Each engine's module documents its definition and standard; ``docs/kpi.md`` has the
definitions, the API, the command-line contracts and worked examples.

* :mod:`omnioms.kpi.oee` — ISO 22400-2 availability, effectiveness, quality and OEE from a
  work-centre state log, with the downtime and scrap Paretos (:func:`oee`, :func:`oee_by`).
* :mod:`omnioms.kpi.otd` — SCOR RL.2.2 lines delivered in full, on time (:func:`otd`,
  :func:`otd_by`).
* :mod:`omnioms.kpi.inventory_days` — average inventory over COGS per day, per stock category,
  judged against a benchmark band (:func:`inventory_days`).
* :mod:`omnioms.kpi.schedule_adherence` — operations started and finished within a tolerance
  of the plan (:func:`schedule_adherence`, :func:`schedule_adherence_by`).
* :mod:`omnioms.kpi.files` — the CSV layouts of the command line, read into those inputs.

Ratios are ``Decimal`` fractions (0.95 is 95 %), ``None`` when not measurable; every result
carries its target and ``met`` (``True``, ``False``, or ``None`` when not measurable). Bad
input raises :class:`KpiInputError` naming the field (and the item, when the engine knows it).
"""

from omnioms.kpi.common import KpiInputError
from omnioms.kpi.inventory_days import (
    BAND,
    BandPosition,
    Benchmarks,
    InventoryDaysFigures,
    InventoryDaysReport,
    InventorySnapshot,
    StockCategory,
    inventory_days,
)
from omnioms.kpi.oee import (
    OEE_TARGET,
    Downtime,
    MachineState,
    OeeFigures,
    ScrapLoss,
    StateRecord,
    oee,
    oee_by,
)
from omnioms.kpi.otd import OTD_TARGET, Delivery, OrderLine, OtdFigures, otd, otd_by
from omnioms.kpi.schedule_adherence import (
    ADHERENCE_TARGET,
    TOLERANCE,
    AdherenceFigures,
    OperationTimes,
    schedule_adherence,
    schedule_adherence_by,
)

__all__ = [
    "ADHERENCE_TARGET",
    "BAND",
    "OEE_TARGET",
    "OTD_TARGET",
    "TOLERANCE",
    "AdherenceFigures",
    "BandPosition",
    "Benchmarks",
    "Delivery",
    "Downtime",
    "InventoryDaysFigures",
    "InventoryDaysReport",
    "InventorySnapshot",
    "KpiInputError",
    "MachineState",
    "OeeFigures",
    "OperationTimes",
    "OrderLine",
    "OtdFigures",
    "ScrapLoss",
    "StateRecord",
    "StockCategory",
    "inventory_days",
    "oee",
    "oee_by",
    "otd",
    "otd_by",
    "schedule_adherence",
    "schedule_adherence_by",
]
