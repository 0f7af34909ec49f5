"""The KPIs from the database, through the pure engines of :mod:`omnioms.kpi`.

- OTD (SCOR RL.2.2): customer order lines against the date committed to the customer
  (:class:`CommitDate`, a new agreed date counting from itself; else the promise date of the
  order's stock), delivered by the shipments on the order's timeline; cancelled orders left
  out. By channel, customer, SKU and month.
- OEE (ISO 22400-2): the machine state intervals the floor reports made, each stamped with the
  local day and shift of its work centre's calendar it started in; by work centre, shift,
  site (line) and day, with the downtime and scrap Paretos.
- Inventory days: the ledger's on-hand per SKU rebuilt for every day of the period and valued
  at unit cost (finished goods: made and resold SKUs; materials: bought ones; work in progress:
  material issued to production orders not completed that day), against the cost of goods
  shipped or sold, and the benchmark picked in :class:`KpiTargets`.
- Schedule adherence: the floor's actual start and finish of each operation against the
  published plan.
- Forecast accuracy: 1 − WAPE of the final forecast one month ahead (forecasting's table).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F, Max, Sum
from django.utils import timezone

from omnioms.catalog.models import SkuKind
from omnioms.core.money import Money
from omnioms.floor.commits import snapshot_time
from omnioms.floor.domain import NO_SHIFT
from omnioms.floor.models import (
    CommitDate,
    FinishedReceipt,
    InventoryBenchmark,
    KpiTargets,
    MaterialMovement,
    OperationProgress,
    StateInterval,
)
from omnioms.inventory.models import MovementKind, OrderStock, StockBalance, StockMovement
from omnioms.kpi.inventory_days import (
    Benchmarks,
    InventoryDaysReport,
    InventorySnapshot,
    StockCategory,
    inventory_days,
)
from omnioms.kpi.oee import MachineState, OeeFigures, StateRecord, oee, oee_by
from omnioms.kpi.otd import Delivery, OrderLine, OtdFigures, otd, otd_by
from omnioms.kpi.schedule_adherence import (
    AdherenceFigures,
    OperationTimes,
    schedule_adherence,
    schedule_adherence_by,
)
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.orders.models import OrderLine as OrderLineRow
from omnioms.planning.models import PlannedOperation, PlanStatus
from omnioms.production.models import WorkCenter


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    tz: ZoneInfo

    @property
    def first_moment(self) -> datetime:
        return datetime.combine(self.start, time(0), tzinfo=self.tz)

    @property
    def after(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.tz)


def targets() -> KpiTargets:
    return KpiTargets.objects.select_related("benchmark").first() or KpiTargets()


# On-time delivery ---------------------------------------------------------------------------

CANCELLED = ("cancelled", "refunded")
DELIVERED = ("shipped", "completed")


def order_lines(period: Period) -> list[OrderLine]:
    """Lines committed in the period, with their deliveries."""
    commits = dict(
        CommitDate.objects.filter(committed_on__range=(period.start, period.end)).values_list(
            "order_id", "committed_on"
        )
    )
    promised = dict(
        OrderStock.objects.filter(promise_date__range=(period.start, period.end))
        .exclude(order_id__in=CommitDate.objects.values("order_id"))
        .values_list("order_id", "promise_date")
    )
    commit: dict[int, date] = {k: v for k, v in {**promised, **commits}.items() if v}
    if not commit:
        return []
    orders = {
        o.pk: o
        for o in Order.objects.filter(pk__in=list(commit)).select_related("account", "customer")
    }
    shipped: dict[int, list[tuple[date, list[list[Any]]]]] = defaultdict(list)
    for order_id, data in OrderEvent.objects.filter(
        order_id__in=list(commit), data__has_key="shipment"
    ).values_list("order_id", "data"):
        shipment = data.get("shipment") or {}
        when = shipment.get("shipped_at")
        if when:
            day = datetime.fromisoformat(when).astimezone(period.tz).date()
            shipped[order_id].append((day, shipment.get("lines") or []))
    # Orders the channel says it shipped, with the time (Taobao's consign_time...), without a
    # shipment recorded here: every line delivered then, however late omnioms heard of it.
    for order in orders.values():
        if order.pk not in shipped and (left := snapshot_time(order, "shipped_at")) is not None:
            shipped[order.pk].append((left.astimezone(period.tz).date(), []))
    # Orders the channel reports shipped (a marketplace's own logistics, a status pushed or
    # pulled) without a shipment recorded here: every line delivered when the channel says.
    for order_id, at, data in (
        OrderEvent.objects.filter(
            order_id__in=[pk for pk in commit if pk not in shipped],
            kind=OrderEventKind.STATUS_CHANGED,
            data__to__in=DELIVERED,
        )
        .order_by("at", "pk")
        .values_list("order_id", "at", "data")
    ):
        if order_id in shipped:
            continue  # the first report of it counts
        when = datetime.fromisoformat(data["channel_at"]) if data.get("channel_at") else at
        shipped[order_id].append((when.astimezone(period.tz).date(), []))
    # Orders that arrived already shipped or completed (a sale handed over at a store's
    # counter, a history imported): delivered when the channel last updated them.
    for order in orders.values():
        if order.pk not in shipped and order.status in DELIVERED:
            when = order.source_updated_at or order.placed_at
            shipped[order.pk].append((when.astimezone(period.tz).date(), []))
    order_rows: dict[int, list[tuple[str, int, int, str]]] = defaultdict(list)
    for order_id, ext, position, quantity, sku in (
        OrderLineRow.objects.filter(order_id__in=list(orders))
        .order_by("order", "position")
        .values_list("order_id", "external_line_id", "position", "quantity", "sku_code")
    ):
        order_rows[order_id].append((ext, position, quantity, sku))
    lines: list[OrderLine] = []
    for order in orders.values():
        for ext, position, quantity, sku in order_rows[order.pk]:
            line_id = ext or str(position)
            deliveries = []
            for day, shipped_lines in shipped.get(order.pk, []):
                if not shipped_lines:
                    deliveries.append(Delivery(day, quantity))
                else:
                    units = sum(q for lid, q in shipped_lines if lid == ext)
                    if units:
                        deliveries.append(Delivery(day, units))
            lines.append(
                OrderLine(
                    order_id=str(order.pk),
                    line_id=line_id,
                    quantity=quantity,
                    commit_date=commit[order.pk],
                    deliveries=tuple(deliveries),
                    cancelled_by_customer=order.status in CANCELLED,
                    tags={
                        "channel": order.account.name if order.account else order.channel,
                        "customer": str(order.customer) if order.customer_id else "",
                        "sku": sku,
                        "month": commit[order.pk].strftime("%Y-%m"),
                        "order": order.external_id,
                    },
                )
            )
    return lines


def otd_figures(period: Period, *, by: str = "") -> tuple[OtdFigures, dict[str, OtdFigures]]:
    lines = order_lines(period)
    target = targets().otd
    as_of = timezone.localdate() + timedelta(days=1)
    total = otd(lines, target=target, as_of=as_of)
    groups = otd_by(lines, lambda line: line.tags[by], target=target, as_of=as_of) if by else {}
    return total, groups


# OEE ----------------------------------------------------------------------------------------


@dataclass
class _Sum:
    seconds: float = 0.0
    produced: int = 0
    scrap: int = 0
    ideal_units: Decimal = Decimal(0)
    """Σ run time per unit × units made: the planned run time of what was made."""


def state_records(
    period: Period, *, by: str = "work_center", work_center: str = ""
) -> list[StateRecord]:
    """The machine state intervals that started on the period's days (each in its centre's
    calendar) summed per group (``by``: work centre, shift, line or day), state, reason and
    scrap reason, as one record each for the OEE engine.

    OEE's sums are additive, so the engine sees a few hundred records instead of every
    interval of a year; each group's records are laid end to end from the period's start.
    Two jobs reported at once on one machine count as parallel stations. An interval belongs
    to the day and the shift running when it started, in its centre's calendar (stamped on
    it when written, :func:`omnioms.floor.models.stamp_intervals`).
    """
    centres = {c.pk: c for c in WorkCenter.objects.select_related("site")}
    rows = StateInterval.objects.filter(local_day__range=(period.start, period.end))
    if work_center:
        rows = rows.filter(work_center__code=work_center)
    sums: dict[tuple[str, str, str, str, str], _Sum] = defaultdict(_Sum)
    # Summed by the database per centre, state and reason (and the day or the shift, stamped
    # on each interval when it was written), so that a year of intervals comes back as a few
    # thousand rows with plain GROUP BYs.
    keys = ["work_center_id", "state", "reason", "scrap_reason"]
    if by == "day":
        keys.append("local_day")
    elif by == "shift":
        keys.append("shift")
    summed = rows.values(*keys).annotate(
        busy=Sum("seconds"),
        made=Sum("produced"),
        scrapped=Sum("scrap"),
        ideal_units=Sum(F("ideal_seconds_per_unit") * F("produced")),
    )
    for row in summed.order_by():
        centre = centres[row["work_center_id"]]
        if by == "shift":
            group = row["shift"] or NO_SHIFT
        elif by == "line":
            group = centre.site.code if centre.site else NO_SHIFT
        elif by == "day":
            group = row["local_day"].isoformat()
        else:
            group = centre.code
        why = row["scrap_reason"] if row["scrapped"] else ""
        total = sums[(group, centre.code, row["state"], row["reason"], why)]
        total.seconds += float(row["busy"] or 0.0)
        total.produced += row["made"] or 0
        total.scrap += row["scrapped"] or 0
        total.ideal_units += Decimal(row["ideal_units"] or 0)
    records = []
    cursor: dict[str, datetime] = {}
    for (group, code, state, reason, why), total in sums.items():
        start = cursor.get(group, period.first_moment)
        end = start + timedelta(seconds=total.seconds)
        cursor[group] = end
        standard = total.ideal_units / total.produced if total.produced else None
        records.append(
            StateRecord(
                work_center=code,
                start=start,
                end=end,
                state=MachineState(state),
                produced=total.produced,
                scrap=total.scrap,
                ideal_seconds_per_unit=standard,
                reason=reason,
                scrap_reasons={why: total.scrap} if total.scrap else {},
                machine=group,
                tags={"group": group},
            )
        )
    return records


def oee_figures(
    period: Period, *, by: str = "work_center", work_center: str = ""
) -> tuple[OeeFigures, dict[str, OeeFigures]]:
    """OEE of the period in total and per group."""
    records = state_records(period, by=by, work_center=work_center)
    target = targets().oee
    return oee(records, target=target), oee_by(
        records, lambda record: record.tags["group"], target=target
    )


# Schedule adherence -------------------------------------------------------------------------


def adherence_figures(
    period: Period, *, by: str = "work_center"
) -> tuple[AdherenceFigures, dict[str, AdherenceFigures]]:
    planned = PlannedOperation.objects.filter(
        plan__status=PlanStatus.PUBLISHED, end__gte=period.first_moment, end__lt=period.after
    ).values_list("operation_id", "start", "end", "work_center__code")
    actual = {
        op: (started, finished)
        for op, started, finished in OperationProgress.objects.filter(
            operation_id__in=[p[0] for p in planned]
        ).values_list("operation_id", "started_at", "finished_at")
    }
    operations = [
        OperationTimes(
            operation_id=str(op),
            planned_start=start,
            planned_end=end,
            actual_start=actual.get(op, (None, None))[0],
            actual_end=actual.get(op, (None, None))[1],
            tags={"work_center": code},
        )
        for op, start, end, code in planned
    ]
    target = targets().adherence
    now = timezone.now()
    total = schedule_adherence(operations, as_of=now, target=target)
    groups = schedule_adherence_by(operations, lambda o: o.tags[by], as_of=now, target=target)
    return total, groups


# Inventory days -----------------------------------------------------------------------------


def benchmark_days() -> tuple[Decimal | None, InventoryBenchmark | None]:
    chosen = targets()
    if chosen.own_benchmark_days:
        return chosen.own_benchmark_days, None
    if chosen.benchmark is not None:
        return chosen.benchmark.days, chosen.benchmark
    return None, None


def inventory_snapshots(
    period: Period, currency: str = "CNY"
) -> tuple[list[InventorySnapshot], Money, dict[str, Decimal]]:
    """Daily values per category, the cost of goods sold, and each SKU's average value."""
    from omnioms.catalog.models import Sku

    # valued at unit cost, else (made SKUs nobody priced) at the standard cost rolled up
    # from their BOM and routing
    skus = {
        pk: (kind, cost or standard or Decimal(0), Decimal(10) ** decimals, code)
        for pk, kind, cost, standard, decimals, code in Sku.objects.values_list(
            "pk", "kind", "unit_cost", "standard_cost", "unit_decimals", "code"
        )
    }
    held: dict[int, int] = defaultdict(int)
    for sku_id, on_hand in StockBalance.objects.values_list("sku_id", "on_hand"):
        held[sku_id] += on_hand
    after = period.after
    for sku_id, moved in (
        StockMovement.objects.filter(at__gte=after)
        .values_list("sku_id")
        .annotate(q=Sum("quantity"))
    ):
        held[sku_id] -= moved
    daily: dict[date, dict[int, int]] = defaultdict(dict)
    cogs = Decimal(0)
    for sku_id, at, quantity, kind in StockMovement.objects.filter(
        at__gte=period.first_moment, at__lt=after
    ).values_list("sku_id", "at", "quantity", "kind"):
        day = at.astimezone(period.tz).date()
        daily[day][sku_id] = daily[day].get(sku_id, 0) + quantity
        if kind in (MovementKind.SHIPMENT, MovementKind.SALE) and quantity < 0:
            info = skus.get(sku_id)
            if info:
                cogs += -quantity / info[2] * info[1]
    wip_moves = list(
        MaterialMovement.objects.filter(at__lt=after).values_list(
            "production_order_id", "at", "quantity", "unit_cost", "sku__unit_decimals"
        )
    )
    completed = dict(
        FinishedReceipt.objects.filter(report_id__startswith="complete:").values_list(
            "production_order_id", "at"
        )
    )
    wip_by_day = _work_in_progress(wip_moves, completed, period)
    snapshots: list[InventorySnapshot] = []
    per_sku_total: dict[str, Decimal] = defaultdict(Decimal)
    day = period.end
    while day >= period.start:
        values = {StockCategory.FINISHED_GOODS: Decimal(0), StockCategory.MATERIALS: Decimal(0)}
        for sku_id, quantity in held.items():
            info = skus.get(sku_id)
            if info is None or quantity <= 0:
                continue
            value = quantity / info[2] * info[1]
            category = (
                StockCategory.MATERIALS
                if info[0] == SkuKind.BOUGHT
                else StockCategory.FINISHED_GOODS
            )
            values[category] += value
            per_sku_total[info[3]] += value
        wip = wip_by_day.get(day, Decimal(0))
        for category, value in (*values.items(), (StockCategory.WORK_IN_PROGRESS, wip)):
            snapshots.append(InventorySnapshot(day, category, Money(Decimal(value), currency)))
        for sku_id, quantity in daily.get(day, {}).items():
            held[sku_id] -= quantity  # step back to the end of the day before
        day -= timedelta(days=1)
    days = (period.end - period.start).days + 1
    return (
        snapshots,
        Money(Decimal(cogs), currency),
        {code: total / days for code, total in per_sku_total.items()},
    )


def _work_in_progress(
    moves: list[tuple[int, datetime, int, Decimal, int]],
    completed: dict[int, datetime],
    period: Period,
) -> dict[date, Decimal]:
    """Value of material issued to orders not completed, at the end of each day: one sweep
    over the issues (adding) and the completions (taking the order's value away)."""
    events: list[tuple[datetime, Decimal]] = []
    per_order: dict[int, Decimal] = defaultdict(Decimal)
    for order, at, quantity, cost, decimals in moves:
        value = quantity / (Decimal(10) ** decimals) * cost
        per_order[order] += value
        events.append((at, value))
    for order, value in per_order.items():
        if order in completed:
            events.append((completed[order], -value))
    events.sort(key=lambda event: event[0])
    out: dict[date, Decimal] = {}
    level, position = Decimal(0), 0
    day = period.start
    while day <= period.end:
        end_of_day = datetime.combine(day + timedelta(days=1), time(0), tzinfo=period.tz)
        while position < len(events) and events[position][0] < end_of_day:
            level += events[position][1]
            position += 1
        out[day] = max(level, Decimal(0))
        day += timedelta(days=1)
    return out


def inventory_figures(
    period: Period,
) -> tuple[InventoryDaysReport, dict[str, Decimal], InventoryBenchmark | None]:
    snapshots, cogs, per_sku = inventory_snapshots(period)
    days, source = benchmark_days()
    report = inventory_days(
        snapshots,
        cogs=cogs,
        period_start=period.start,
        period_end=period.end,
        benchmarks=Benchmarks(total=days),
        band=targets().inventory_band,
    )
    return report, per_sku, source


# Forecast accuracy --------------------------------------------------------------------------


def forecast_accuracy() -> Decimal | None:
    """1 − WAPE of the final forecast at month level, one month ahead (else the nearest lag)."""
    from omnioms.forecasting.runs import accuracy_table

    table = accuracy_table()
    if table.empty:
        return None
    final = table[(table["source"] == "final") & (table["level"] == "month")]
    if final.empty:
        final = table[table["source"] == "final"]
    if final.empty:
        return None
    ahead = final[final["lag"] >= 1]
    row = (ahead if not ahead.empty else final).sort_values("lag").iloc[0]
    wape = row["wape"]
    if wape != wape:  # NaN: nothing sold
        return None
    return max(Decimal(0), 1 - Decimal(str(round(float(wape), 4))))


def default_period(tz: ZoneInfo, days: int = 28) -> Period:
    """The ``days`` up to today, or up to the floor's last report when that is older (a
    database of past figures still opens on them)."""
    today = timezone.now().astimezone(tz).date()
    latest = StateInterval.objects.aggregate(latest=Max("end"))["latest"]
    end = today if latest is None else latest.astimezone(tz).date()
    if today - end < timedelta(days=days):
        end = max(end, today)
    return Period(end - timedelta(days=days - 1), end, tz)
