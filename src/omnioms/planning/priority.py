"""Priority of production orders: urgency, customer tier and margin, weighted by the planner.

Each component is worth 0 to 1:

- **urgency**, from the slack: days to the due date less the days of work left (the working
  hours of the remaining operations at ``HOURS_PER_DAY``). No slack or less: 1; a slack of
  ``urgency_days`` or more: 0; linear between;
- **customer**, from the tier of the customer of the order it is made for: A 1, B 0.6, C 0.2;
  made to stock (no customer): 0;
- **margin**, (price - standard cost) / price, full at ``margin_full`` (50 %); the price is the
  customer order's unit price for the SKU, else the SKU's list price; the standard cost is the
  SKU's rolled-up cost, else computed from its BOM and routing. Unknown: 0.

The score is ``100 x sum(weight x component) / sum(weights)`` (0-100); the engine's weight of
an order is ``1 + score // 10``. :func:`score` is pure; :func:`score_open_orders` writes the
scores and how each was made (``ProductionOrder.priority_reasons``); :func:`suggest_tiers`
suggests customer tiers from revenue and order frequency over all channels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Sum

from omnioms.customers.models import Customer, CustomerTier
from omnioms.orders.models import Order, OrderLine
from omnioms.planning.adapter import OPEN, duration_minutes
from omnioms.planning.models import OperationStatus, PlanningSettings, ProductionOrder
from omnioms.production.domain import standard_cost
from omnioms.production.services import cost_inputs

HOURS_PER_DAY = Decimal(8)
TIER_POINTS = {"A": Decimal(1), "B": Decimal("0.6"), "C": Decimal("0.2")}
TIER_LETTER: dict[str, str] = {
    CustomerTier.KEY.value: "A",
    CustomerTier.IMPORTANT.value: "B",
    CustomerTier.STANDARD.value: "C",
}
LETTER_TIER = {letter: tier for tier, letter in TIER_LETTER.items()}


@dataclass(frozen=True)
class Weights:
    urgency: Decimal = Decimal(5)
    customer: Decimal = Decimal(3)
    margin: Decimal = Decimal(2)
    urgency_days: int = 20
    margin_full: Decimal = Decimal("0.5")


def _clamp(x: Decimal) -> Decimal:
    return max(Decimal(0), min(Decimal(1), x))


def score(
    *,
    slack_days: Decimal,
    tier: str | None,
    price: Decimal | None,
    cost: Decimal | None,
    weights: Weights,
) -> tuple[Decimal, dict[str, Any]]:
    """The score (0-100) and its parts."""
    urgency = _clamp(1 - slack_days / Decimal(max(1, weights.urgency_days)))
    customer = TIER_POINTS.get(tier or "", Decimal(0))
    margin_ratio = (price - cost) / price if price and cost is not None and price > 0 else None
    margin = (
        _clamp(margin_ratio / weights.margin_full)
        if margin_ratio is not None and weights.margin_full > 0
        else Decimal(0)
    )
    total = weights.urgency + weights.customer + weights.margin
    parts = [
        ("urgency", urgency, weights.urgency),
        ("customer", customer, weights.customer),
        ("margin", margin, weights.margin),
    ]
    value = sum((w * c for _, c, w in parts), Decimal(0)) * 100 / total if total > 0 else Decimal(0)
    reasons: dict[str, Any] = {
        name: {
            "component": float(round(c, 3)),
            "weight": float(w),
            "points": float(round(w * c * 100 / total, 1)) if total > 0 else 0.0,
        }
        for name, c, w in parts
    }
    reasons["urgency"]["slack_days"] = float(round(slack_days, 1))
    reasons["customer"]["tier"] = tier or ""
    reasons["margin"]["price"] = None if price is None else str(price)
    reasons["margin"]["cost"] = None if cost is None else str(cost)
    reasons["margin"]["ratio"] = None if margin_ratio is None else float(round(margin_ratio, 3))
    return value.quantize(Decimal("0.001")), reasons


def weights() -> Weights:
    row = PlanningSettings.load()
    return Weights(
        urgency=row.urgency_weight,
        customer=row.customer_weight,
        margin=row.margin_weight,
        urgency_days=row.urgency_days,
    )


def tier_letter(customer: Customer | None) -> str | None:
    if customer is None:
        return None
    while customer.merged_into_id is not None and customer.merged_into is not None:
        customer = customer.merged_into
    return TIER_LETTER.get(customer.tier, "C")


def score_open_orders(today: date, orders: Iterable[ProductionOrder] | None = None) -> int:
    """Score the open production orders (or ``orders``); returns how many were scored."""
    chosen = list(orders if orders is not None else ProductionOrder.objects.filter(status__in=OPEN))
    if not chosen:
        return 0
    ids = [o.pk for o in chosen]
    rows = list(
        ProductionOrder.objects.filter(pk__in=ids)
        .select_related("sku", "customer_order__customer__merged_into")
        .prefetch_related("operations")
    )
    w = weights()
    prices = _order_prices(rows)
    costs = _costs(rows, today)
    for order in rows:
        minutes = sum(
            duration_minutes(op.setup_minutes, op.run_seconds_per_unit, order.quantity)
            for op in order.operations.all()
            if op.status != OperationStatus.DONE
        )
        work_days = Decimal(minutes) / 60 / HOURS_PER_DAY
        slack = Decimal((order.due - today).days) - work_days
        customer = order.customer_order.customer if order.customer_order is not None else None
        tier = tier_letter(customer)
        price = prices.get(order.pk, order.sku.price)
        value, reasons = score(
            slack_days=slack,
            tier=tier,
            price=price,
            cost=costs.get(order.sku.code),
            weights=w,
        )
        reasons["urgency"]["due"] = order.due.isoformat()
        reasons["urgency"]["work_days"] = float(round(work_days, 2))
        reasons["customer"]["customer"] = str(customer) if customer else ""
        reasons["scored_on"] = today.isoformat()
        order.priority, order.priority_reasons = value, reasons
    ProductionOrder.objects.bulk_update(rows, ["priority", "priority_reasons"])
    return len(rows)


def _order_prices(rows: list[ProductionOrder]) -> dict[int, Decimal]:
    wanted = {(o.customer_order_id, o.sku_id): o.pk for o in rows if o.customer_order_id}
    if not wanted:
        return {}
    found: dict[int, Decimal] = {}
    for order_id, sku_id, unit_price in OrderLine.objects.filter(
        order_id__in={k[0] for k in wanted}
    ).values_list("order_id", "sku_id", "unit_price"):
        pk = wanted.get((order_id, sku_id))
        if pk is not None and unit_price:
            found[pk] = unit_price
    return found


def _costs(rows: list[ProductionOrder], today: date) -> dict[str, Decimal]:
    costs = {o.sku.code: o.sku.standard_cost for o in rows if o.sku.standard_cost is not None}
    missing = {o.sku.code for o in rows} - set(costs)
    if missing:
        inputs = cost_inputs(today)
        for code in missing:
            found = standard_cost(
                code, boms=inputs.boms, routings=inputs.routings, bought_prices=inputs.prices
            )
            if found is not None:
                costs[code] = found
    return costs


# ----------------------------------------------------------------------------------------------
# Customer tiers


@dataclass(frozen=True)
class TierRule:
    """ABC by revenue (the customers making the first ``a_share`` of it are A, up to
    ``b_share`` B, the rest C), then one class up for ``frequent`` or more orders in the period."""

    days: int = 365
    a_share: Decimal = Decimal("0.7")
    b_share: Decimal = Decimal("0.9")
    frequent: int = 12


def suggest_tiers(today: date, rule: TierRule | None = None) -> dict[int, str]:
    """Suggest a tier (A/B/C) to every customer with orders in the period, across channels;
    customers whose tier was not set by hand take the suggestion. Returns id -> letter."""
    rule = rule or TierRule()
    since = today - timedelta(days=rule.days)
    totals = list(
        Order.objects.filter(customer__isnull=False, placed_at__date__gte=since)
        .values("customer_id")
        .annotate(revenue=Sum("total"), orders=Count("id"))
        .values_list("customer_id", "revenue", "orders")
    )
    grand = sum((Decimal(r or 0) for _, r, _ in totals), Decimal(0))
    ranked = sorted(totals, key=lambda t: -(t[1] or 0))
    letters: dict[int, str] = {}
    running = Decimal(0)
    for customer_id, revenue, count in ranked:
        share_before = running / grand if grand > 0 else Decimal(1)
        running += Decimal(revenue or 0)
        letter = "A" if share_before < rule.a_share else "B" if share_before < rule.b_share else "C"
        if count >= rule.frequent and letter != "A":
            letter = "A" if letter == "B" else "B"
        letters[customer_id] = letter
    customers = list(Customer.objects.filter(pk__in=letters))
    for customer in customers:
        customer.suggested_tier = letters[customer.pk]
        if not customer.tier_by_hand:
            customer.tier = LETTER_TIER[letters[customer.pk]]
    Customer.objects.bulk_update(customers, ["suggested_tier", "tier"])
    return letters
