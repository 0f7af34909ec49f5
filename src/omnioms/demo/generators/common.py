"""What the channel generators share: deliveries, the order calendar, lifecycles, baskets.

All functions are pure: they take a ``random.Random`` and plain values and return plain
values, so a generator is a deterministic function of its seed.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from omnioms.demo.catalog import SELLABLE, DemoSku, demand_weight

BEIJING = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")
ZERO = Decimal("0.00")

FULL_HISTORY_DAYS = 14
"""Orders placed this recently arrive as every status change the platform sends."""
FULL_HISTORY_SHARE = 0.04
"""Share of older orders that keep their whole history too, so old timelines show it."""

T = TypeVar("T")


# ----------------------------------------------------------------------------------------------
# Deliveries


@dataclass(frozen=True)
class Webhook:
    """One HTTP delivery from a platform (or its relay) to ``/api/v1/webhooks/{account}``."""

    account: str
    at: datetime
    """When the platform sends it; deliveries are replayed in this order."""
    body: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True)
class FileExport:
    """A file a person exports from a store's POS and imports into omnioms."""

    account: str
    at: datetime
    filename: str
    raw: bytes


Delivery = Webhook | FileExport


def compact_json(value: Any) -> bytes:
    """JSON as platforms send it: compact, UTF-8, non-ASCII left as is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def retried(delivery: Webhook, *, after: timedelta) -> Webhook:
    """The same delivery again, as a platform retries one it thinks was not received."""
    return replace(delivery, at=delivery.at + after)


# ----------------------------------------------------------------------------------------------
# When orders are placed


@dataclass(frozen=True)
class Demand:
    """How many orders a channel gets, and when."""

    per_day: float
    weekdays: tuple[float, ...]
    """Factor per weekday, Monday first."""
    hours: tuple[float, ...]
    """Relative weight of each local hour, 0 to 23."""
    festival: Callable[[date], float] = lambda day: 1.0
    growth: float = 0.3
    """The business grows: the last day of the span is this much busier than the first."""


ONLINE_HOURS = (3, 2, 1, 1, 1, 1, 2, 4, 6, 8, 9, 10, 12, 11, 9, 9, 9, 10, 11, 13, 16, 18, 16, 8)
STORE_HOURS = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 8, 10, 9, 8, 9, 10, 10, 12, 13, 11, 7, 0, 0)


def cn_online_festival(day: date) -> float:
    """618, Double 11 (with its presale weeks) and Double 12 on Chinese marketplaces."""
    special = {(5, 20): 1.3, (6, 18): 2.8, (11, 11): 3.6, (11, 12): 1.4, (12, 12): 1.8}
    if (day.month, day.day) in special:
        return special[(day.month, day.day)]
    if day.month == 6 and day.day < 18:
        return 1.25
    if (day.month == 10 and day.day >= 20) or (day.month == 11 and day.day < 11):
        return 1.25
    return 1.0


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson-distributed count (Knuth's method; means here stay well below 100)."""
    limit = math.exp(-mean)
    count, product = 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def order_times(
    rng: random.Random, demand: Demand, *, zone: ZoneInfo, now: datetime, days: int
) -> list[datetime]:
    """Creation times (UTC) of a channel's orders over the ``days`` ending at ``now``."""
    today = now.astimezone(zone).date()
    times: list[datetime] = []
    for offset in range(days - 1, -1, -1):
        day = today - timedelta(days=offset)
        trend = 1 + demand.growth * (days - offset) / days
        mean = demand.per_day * demand.weekdays[day.weekday()] * demand.festival(day) * trend
        for _ in range(poisson(rng, mean)):
            hour = rng.choices(range(24), weights=demand.hours)[0]
            local = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)))
            at = local.replace(tzinfo=zone).astimezone(UTC)
            if at <= now:
                times.append(at)
    return sorted(times)


# ----------------------------------------------------------------------------------------------
# What happens to an order after it is placed


@dataclass(frozen=True)
class Rules:
    unpaid: float
    """Share of orders never paid: closed by the platform after ``close_unpaid_after``."""
    close_unpaid_after: timedelta
    slow_pay: float
    """Share paid hours after ordering (bank transfer, waiting for pay day) instead of at once."""
    refund_before_ship: float
    partial_refund: float
    """Share of orders with several units where one line or unit is refunded after delivery."""
    completes_after: tuple[float, float] | None
    """Days from shipping to the platform's completion; None where it has no such status."""


STAGES = ("created", "paid", "closed", "shipped", "line_refunded", "refunded", "completed")


@dataclass(frozen=True)
class Lifecycle:
    """When each thing happened to an order; None for what did not (or not yet) happen."""

    created: datetime
    paid: datetime | None = None
    closed: datetime | None = None
    """Closed before payment."""
    shipped: datetime | None = None
    line_refunded: datetime | None = None
    """One line (or unit) refunded after delivery; the order goes on."""
    refunded: datetime | None = None
    """The whole order refunded after payment, before shipping."""
    completed: datetime | None = None

    def stages(self, now: datetime) -> list[tuple[str, datetime]]:
        """The stages reached by ``now``, oldest first."""
        reached = [(name, getattr(self, name)) for name in STAGES]
        return sorted(
            ((n, t) for n, t in reached if t is not None and t <= now), key=lambda s: s[1]
        )

    def reached(self, stage: str, as_of: datetime) -> bool:
        moment: datetime | None = getattr(self, stage)
        return moment is not None and moment <= as_of


def working_time(rng: random.Random, after: datetime) -> datetime:
    """When the Hangzhou warehouse ships an order ready at ``after``: within its hours
    (9:00 to 18:00 Beijing time), on the same day if it is still open, else the next."""
    local = after.astimezone(BEIJING)
    opening = datetime.combine(local.date(), time(9), BEIJING)
    closing = datetime.combine(local.date(), time(18), BEIJING)
    if local >= closing:
        start, closing = opening + timedelta(days=1), closing + timedelta(days=1)
    else:
        start = max(local, opening)
    minutes = int((closing - start).total_seconds() // 60)
    return (start + timedelta(minutes=rng.randrange(max(minutes, 1)))).astimezone(UTC)


def make_lifecycle(
    rng: random.Random, created: datetime, rules: Rules, *, refundable_lines: bool
) -> Lifecycle:
    """A plausible life for an order placed at ``created`` (some of it may lie in the future)."""
    draw = rng.random()
    if draw < rules.unpaid:
        return Lifecycle(created=created, closed=created + rules.close_unpaid_after)
    if draw < rules.unpaid + rules.slow_pay:
        paid = created + timedelta(minutes=rng.randrange(20, 36 * 60))
    else:
        paid = created + timedelta(seconds=rng.randrange(8, 600))
    if rng.random() < rules.refund_before_ship:
        return Lifecycle(created, paid=paid, refunded=paid + timedelta(hours=rng.uniform(1, 20)))
    shipped = working_time(rng, paid + timedelta(hours=rng.uniform(2, 30)))
    line_refunded = None
    if refundable_lines and rng.random() < rules.partial_refund:
        line_refunded = shipped + timedelta(days=rng.uniform(2, 5))
    completed = None
    if rules.completes_after is not None:
        completed = shipped + timedelta(days=rng.uniform(*rules.completes_after))
        if line_refunded is not None:
            completed = max(completed, line_refunded + timedelta(hours=rng.uniform(1, 30)))
    return Lifecycle(
        created, paid=paid, shipped=shipped, line_refunded=line_refunded, completed=completed
    )


def stages_to_send(
    rng: random.Random, life: Lifecycle, *, now: datetime
) -> list[tuple[str, datetime]]:
    """The stages delivered as webhooks: all of them for recent orders, else the last.

    Each delivery costs one intake transaction; sending every status change of six months of
    orders would make the demo load for minutes, so older orders mostly arrive once, as their
    latest version (as after a reconciliation poll).
    """
    stages = life.stages(now)
    if now - life.created <= timedelta(days=FULL_HISTORY_DAYS):
        return stages
    if rng.random() < FULL_HISTORY_SHARE:
        return stages
    return stages[-1:]


# ----------------------------------------------------------------------------------------------
# Baskets and money


@dataclass(frozen=True)
class Pick:
    sku: DemoSku
    quantity: int


def basket(rng: random.Random, day: date, *, extra_line: float = 0.28) -> list[Pick]:
    """One to three different SKUs, chosen by how well each sells on ``day``."""
    count = 1 + (rng.random() < extra_line) + (rng.random() < extra_line / 3)
    weights = [demand_weight(sku, day) for sku in SELLABLE]
    chosen: list[DemoSku] = []
    while len(chosen) < count:
        sku = rng.choices(SELLABLE, weights=weights)[0]
        if sku not in chosen:
            chosen.append(sku)
    return [Pick(sku, 2 if rng.random() < 0.12 else 1) for sku in chosen]


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, ROUND_HALF_UP)


def allocate(amount: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``amount`` in proportion to ``weights``, in cents, adding up exactly."""
    total = sum(weights, ZERO)
    if total == 0:
        return [ZERO for _ in weights]
    shares = [(amount * weight / total).quantize(CENT, ROUND_DOWN) for weight in weights]
    largest = max(range(len(weights)), key=lambda index: weights[index])
    shares[largest] += amount - sum(shares, ZERO)
    return shares


# ----------------------------------------------------------------------------------------------
# Identifiers and repeat customers


def unique_number(rng: random.Random, low: int, high: int, used: set[int]) -> int:
    while True:
        number = rng.randrange(low, high)
        if number not in used:
            used.add(number)
            return number


def token(rng: random.Random, length: int, alphabet: str) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


@dataclass
class Regulars(Generic[T]):
    """Customers who come back: each order is a returning customer with probability
    ``repeat``, else a new one. Early customers come back most, having had the longest time."""

    make: Callable[[random.Random], T]
    repeat: float
    people: list[T] = field(default_factory=list)

    def next(self, rng: random.Random) -> T:
        if self.people and rng.random() < self.repeat:
            return rng.choice(self.people)
        person = self.make(rng)
        self.people.append(person)
        return person
