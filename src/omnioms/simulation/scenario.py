"""The scenario file: a company described in YAML, validated by pydantic (docs/simulation.md).

:func:`load_scenario` reads a file or the name of a shipped scenario (``presets/<name>.yaml``)
and returns a :class:`Scenario`; anything wrong raises :class:`ScenarioError` whose message
names each wrong key by its path (``products[2].routing[0].work_center: ...``). The models
forbid unknown keys, so a misspelt key is an error, not a silently ignored line.
"""

from __future__ import annotations

from datetime import date, time
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

PRESETS = Path(__file__).resolve().parent / "presets"

Fraction = Annotated[float, Field(ge=0, le=1)]
Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$")]


class ScenarioError(ValueError):
    """A scenario that cannot be used; ``problems`` are ``(key path, message)`` pairs."""

    def __init__(self, source: str, problems: list[tuple[str, str]]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {path}: {message}" for path, message in problems)
        super().__init__(f"{source}: the scenario is not valid:\n{lines}")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Shift(_Strict):
    start: time
    end: time
    """Shifts ending at or before their start end the next morning (a night shift)."""


class Calendar(_Strict):
    weekdays: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5]
    )
    """ISO weekdays worked (1 = Monday)."""
    shifts: list[Shift] = Field(min_length=1)
    holidays: list[date] = Field(default_factory=list)
    overtime_hours: NonNegative = 0
    """Hours a work centre may work after its last shift on a day the plan asks for it."""


class WorkCenter(_Strict):
    code: Code
    name: str = ""
    machines: int = Field(ge=1, le=50)
    mtbf_hours: Positive
    """Mean working hours between failures of one machine (exponential)."""
    mttr_hours: Positive
    """Mean hours to repair (exponential)."""
    scrap_rate: Fraction = 0.0
    speed: Annotated[float, Field(gt=0, le=1.5)] = 1.0
    """Actual speed over the standard: 0.95 takes 1/0.95 of the standard time."""
    setup_minutes: NonNegative = 0
    """Changeover between product families on a machine."""


class Supplier(_Strict):
    code: Code
    name: str = ""
    lead_time_days: int = Field(ge=0, le=365)
    lead_time_spread_days: int = Field(default=0, ge=0, le=60)
    """Deliveries arrive up to this many days late (uniform)."""


class Material(_Strict):
    code: Code
    name: str = ""
    unit: str = "pcs"
    unit_cost: Positive
    supplier: Code
    min_order: NonNegative = 0
    opening_stock: NonNegative = 0


class BomLine(_Strict):
    material: Code
    quantity: Positive


class Step(_Strict):
    work_center: Code
    minutes_per_unit: Positive


class Demand(_Strict):
    base: NonNegative
    """Units a day on an ordinary weekday at the start, over all channels."""
    trend: float = Field(default=0.0, ge=-0.9, le=5)
    """Growth over a year (0.1 = +10 % a year, linear)."""


class Product(_Strict):
    sku: Code
    name: str = ""
    family: Code
    price: Positive
    unit_cost: Positive
    """Standard cost of one unit (materials and conversion): what inventory and COGS count."""
    opening_stock: NonNegative = 0
    min_lot: NonNegative = 0
    bom: list[BomLine] = Field(min_length=1)
    routing: list[Step] = Field(min_length=1)
    demand: Demand


class OrderSize(_Strict):
    mean: Annotated[float, Field(ge=1)] = 1.0
    max: int = Field(default=5, ge=1, le=100_000)


class Tier(_Strict):
    name: Code
    share: Fraction
    weight: int = Field(default=1, ge=1, le=100)
    """The priority of the tier's orders in scheduling."""


class Channel(_Strict):
    code: Code
    name: str = ""
    kind: Literal["retail", "wholesale"] = "retail"
    share: Fraction
    """The channel's share of every product's demand."""
    promise_days: int = Field(default=2, ge=0, le=365)
    """Retail: the order is due this many days after it is placed."""
    due_days: tuple[int, int] = (14, 30)
    """Wholesale: the due date is drawn between these many days after the order."""
    order_size: OrderSize = Field(default_factory=OrderSize)
    tiers: list[Tier] = Field(default_factory=lambda: [Tier(name="regular", share=1.0)])
    rush_share: Fraction = 0.0
    """Share of orders that ask to be delivered sooner (rush: half the usual time)."""

    @model_validator(mode="after")
    def _tiers_add_up(self) -> Channel:
        total = sum(tier.share for tier in self.tiers)
        if abs(total - 1) > 1e-6:
            raise ValueError(f"tiers: the shares add up to {total:g}, not 1")
        if self.due_days[0] > self.due_days[1]:
            raise ValueError("due_days: the first is after the second")
        return self


class Festival(_Strict):
    name: str
    start: date
    end: date
    uplift: Annotated[float, Field(gt=0, le=50)]
    """Demand is multiplied by this on the festival's days."""
    channels: list[Code] = Field(default_factory=list)
    """Empty: every channel."""
    products: list[Code] = Field(default_factory=list)
    """Empty: every product."""
    kind: Literal["festival", "promotion"] = "festival"


class Rhythm(_Strict):
    weekly: list[Positive] = Field(default=[1.0] * 7, min_length=7, max_length=7)
    """Monday first; relative demand by weekday."""
    monthly: list[Positive] = Field(default=[1.0] * 12, min_length=12, max_length=12)
    """January first: seasonality."""
    noise: Annotated[float, Field(ge=0, le=3)] = 0.2
    """Coefficient of variation of a day's demand around its expected level."""


class Planning(_Strict):
    """How hard omnioms's policy plans (the baselines have their own fixed rules)."""

    forecast_every_days: int = Field(default=28, ge=1, le=365)
    requirements_every_days: int = Field(default=7, ge=1, le=60)
    schedule_seconds: Annotated[float, Field(ge=0, le=60)] = 0.0
    """CP-SAT time for the daily plan; 0: the engine's dispatching rules only (fast)."""
    service_level: Annotated[float, Field(gt=0.5, lt=1)] = 0.97


class Scenario(_Strict):
    name: Code
    description: str = ""
    seed: int = 7
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    time_zone: str = "Asia/Shanghai"
    start: date
    days: int = Field(default=365, ge=1, le=1100)
    history_days: int = Field(default=365, ge=0, le=1100)
    """Sales history the company has before the first simulated day (for forecasts)."""
    benchmark_inventory_days: Positive
    calendar: Calendar
    work_centers: list[WorkCenter] = Field(min_length=1)
    suppliers: list[Supplier] = Field(min_length=1)
    materials: list[Material] = Field(min_length=1)
    products: list[Product] = Field(min_length=1)
    channels: list[Channel] = Field(min_length=1)
    rhythm: Rhythm = Field(default_factory=Rhythm)
    festivals: list[Festival] = Field(default_factory=list)
    planning: Planning = Field(default_factory=Planning)

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems: list[str] = []
        for kind, codes in (
            ("work_centers", [w.code for w in self.work_centers]),
            ("suppliers", [s.code for s in self.suppliers]),
            ("materials", [m.code for m in self.materials]),
            ("products", [p.sku for p in self.products]),
            ("channels", [c.code for c in self.channels]),
        ):
            seen = {c for c in codes if codes.count(c) > 1}
            if seen:
                problems.append(f"{kind}: {', '.join(sorted(seen))} appear more than once")
        centers = {w.code for w in self.work_centers}
        suppliers = {s.code for s in self.suppliers}
        materials = {m.code for m in self.materials}
        for i, m in enumerate(self.materials):
            if m.supplier not in suppliers:
                problems.append(f"materials[{i}].supplier: no supplier {m.supplier!r}")
        for i, p in enumerate(self.products):
            for j, line in enumerate(p.bom):
                if line.material not in materials:
                    problems.append(
                        f"products[{i}].bom[{j}].material: no material {line.material!r}"
                    )
            for j, step in enumerate(p.routing):
                if step.work_center not in centers:
                    where = f"products[{i}].routing[{j}].work_center"
                    problems.append(f"{where}: no work centre {step.work_center!r}")
        share = sum(c.share for c in self.channels)
        if abs(share - 1) > 1e-6:
            problems.append(f"channels: the shares add up to {share:g}, not 1")
        channels = {c.code for c in self.channels}
        skus = {p.sku for p in self.products}
        for i, f in enumerate(self.festivals):
            if f.end < f.start:
                problems.append(f"festivals[{i}].end: before its start")
            for code in f.channels:
                if code not in channels:
                    problems.append(f"festivals[{i}].channels: no channel {code!r}")
            for code in f.products:
                if code not in skus:
                    problems.append(f"festivals[{i}].products: no product {code!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def with_changes(self, changes: dict[str, Any]) -> Scenario:
        """A copy with a few values changed (the web page's what-if), validated again."""
        data = self.model_dump(mode="json")
        data.update(changes)
        return parse_scenario(data, source=f"{self.name} (changed)")


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.startswith("function-") or part in {"tagged-union"}:
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top)"


def parse_scenario(data: Any, *, source: str = "scenario") -> Scenario:
    if not isinstance(data, dict):
        raise ScenarioError(source, [("(top)", "must be a mapping of keys to values")])
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems: list[tuple[str, str]] = []
        for error in exc.errors(include_url=False):
            where = _path(error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            if error["type"] == "value_error":
                # the cross-checks below say "key: what; key: what", relative to ``where``
                problems.extend(_split(message, prefix=where))
            else:
                problems.append((where, message))
        raise ScenarioError(source, problems) from None


def _split(message: str, prefix: str) -> list[tuple[str, str]]:
    out = []
    for part in message.split("; "):
        key, sep, text = part.partition(": ")
        if not sep:
            out.append((prefix, part))
        elif prefix == "(top)":
            out.append((key, text))
        else:
            out.append((f"{prefix}.{key}" if not key.startswith("[") else prefix + key, text))
    return out


def shipped_names() -> list[str]:
    return sorted(path.stem for path in PRESETS.glob("*.yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A scenario from a YAML file, or a shipped one by name (``demo``)."""
    path = Path(name_or_path)
    if not path.is_file():
        shipped = PRESETS / f"{name_or_path}.yaml"
        if not shipped.is_file():
            names = ", ".join(shipped_names())
            raise ScenarioError(
                str(name_or_path), [("(file)", f"no such file, nor a shipped scenario ({names})")]
            )
        path = shipped
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(str(path), [("(yaml)", str(exc).replace("\n", " "))]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(str(path), [("(file)", str(exc))]) from None
    return parse_scenario(data, source=str(path))
