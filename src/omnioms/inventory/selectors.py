"""Read queries on stock: what the UI, the API and the checks show.

A store clerk sees the stock of their own store only; everyone with ``view_all_stock`` sees
every location. Every stock read of a view or the API starts from :func:`visible_balances`.

Stock rows that name an order (the ledger, the reservations holding a balance, units that left
without stock on record) name it only when the user may see that order (``visible_orders``):
a store's stock is also held and taken by orders of online channels routed to it, which a
store clerk may not open. See :class:`OrderRef`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from omnioms.catalog.models import BundleComponent
from omnioms.core.models import Location
from omnioms.inventory.availability import channel_figures
from omnioms.inventory.domain import LineRow, Needs, Timeline, atp_timeline, order_needs
from omnioms.inventory.models import (
    AvailabilityOutbox,
    ChannelAvailability,
    IncomingStock,
    OrderStock,
    OrderStockStatus,
    OutboxState,
    PlannedOutput,
    Reservation,
    ReservationState,
    Shortage,
    StockBalance,
    StockMovement,
    SupplyStatus,
)
from omnioms.inventory.rules import routing_config
from omnioms.orders.models import Order, OrderLine, OrderLineComponent
from omnioms.orders.selectors import user_store_id, visible_orders

WebUser = User | AnonymousUser


def stock_scope(user: WebUser) -> QuerySet[Location]:
    """The locations whose stock records (balances, movements, supply) ``user`` may see, once
    a permission lets them see such records at all: every location with ``view_all_stock``,
    else the store on their profile."""
    locations = Location.objects.order_by("code")
    if not user.is_authenticated:
        return locations.none()
    if user.has_perm("inventory.view_all_stock"):
        return locations
    store_id = user_store_id(user)
    return locations.filter(pk=store_id) if store_id is not None else locations.none()


def visible_locations(user: WebUser) -> QuerySet[Location]:
    if not user.has_perm("inventory.view_stockbalance"):
        return Location.objects.none()
    return stock_scope(user)


def visible_balances(user: WebUser) -> QuerySet[StockBalance]:
    return StockBalance.objects.filter(location__in=visible_locations(user))


def stock_list(
    user: WebUser,
    *,
    sku: str = "",
    location: str = "",
    below_reorder: bool = False,
) -> QuerySet[StockBalance]:
    """Balances by SKU and location, filtered; ``sku`` matches the start of a SKU code."""
    rows = visible_balances(user).select_related("sku", "location")
    if sku:
        rows = rows.filter(sku__code__startswith=sku)
    if location:
        rows = rows.filter(location__code=location)
    if below_reorder:
        rows = rows.filter(low_stock_condition())
    return rows.annotate(available_now=F("on_hand") - F("reserved") - F("safety_stock")).order_by(
        "sku__code", "location__code"
    )


def low_stock_condition() -> Q:
    """Available below the reorder point (rows with a reorder point only)."""
    return Q(reorder_point__gt=0) & Q(
        reorder_point__gt=F("on_hand") - F("reserved") - F("safety_stock")
    )


Row = TypeVar("Row", StockMovement, Reservation)


@dataclass(frozen=True)
class OrderRef(Generic[Row]):
    """A stock row, and the order behind it when the user may see that order.

    ``order`` is ``None`` both for a row without an order (a receipt, a count) and for one
    whose order the user may not see; ``hidden`` tells the two apart. Such a row is still
    listed, without anything of its order (external id, link, times, buyer): its quantity is
    part of the stock figures the user sees (on hand is the ledger's sum, reserved what the
    listed orders hold), so leaving it out would make them not add up, while the order itself
    is as private as it is on the order pages, where it is a 404.
    """

    row: Row
    order: Order | None

    @property
    def hidden(self) -> bool:
        return self.row.order_id is not None and self.order is None


def with_visible_orders(user: WebUser, rows: list[Row]) -> list[OrderRef[Row]]:
    """``rows`` (with their order selected) paired with the orders ``user`` may see."""
    ids = {row.order_id for row in rows if row.order_id is not None}
    shown = set(visible_orders(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [OrderRef(row, row.order if row.order_id in shown else None) for row in rows]


def ledger(
    user: WebUser, balance: StockBalance, *, limit: int = 200
) -> list[OrderRef[StockMovement]]:
    """The newest movements behind a balance, with the balance after each."""
    return with_visible_orders(
        user,
        list(
            StockMovement.objects.filter(sku_id=balance.sku_id, location_id=balance.location_id)
            .select_related("order", "document")
            .order_by("-id")[:limit]
        ),
    )


def holders(user: WebUser, balance: StockBalance) -> list[OrderRef[Reservation]]:
    """The orders holding reservations on a balance, oldest first."""
    return with_visible_orders(
        user,
        list(
            Reservation.objects.filter(
                sku_id=balance.sku_id,
                location_id=balance.location_id,
                state=ReservationState.RESERVED,
            )
            .select_related("order")
            .order_by("order__placed_at", "order_id")
        ),
    )


def available_to_promise(sku_id: int, location_ids: list[int], *, today: date) -> Timeline:
    """Available now at the locations, less what backorders wait for, plus incoming receipts
    and planned production by their dates."""
    balances = StockBalance.objects.filter(sku_id=sku_id, location_id__in=location_ids)
    available = sum(max(0, b.available) for b in balances)
    backordered = (
        Shortage.objects.filter(sku_id=sku_id)
        .filter(Q(location_id__in=location_ids) | Q(location__isnull=True))
        .aggregate(total=Sum("wanted"))["total"]
        or 0
    )
    supply = [
        (row.expected_on, row.outstanding)
        for row in IncomingStock.objects.filter(
            sku_id=sku_id, location_id__in=location_ids, status=SupplyStatus.OPEN
        )
    ] + [
        (row.due_on, row.quantity)
        for row in PlannedOutput.objects.filter(
            sku_id=sku_id, location_id__in=location_ids, status=SupplyStatus.OPEN
        )
    ]
    return atp_timeline(today=today, available=available, backordered=backordered, supply=supply)


@dataclass(frozen=True)
class ChannelFigure:
    sku_id: int
    sku_code: str
    quantity: int
    pushed: int | None
    pushed_at: object
    pending: int


def channel_availability(
    account_id: int, *, sku_codes: list[str] | None = None
) -> list[ChannelFigure]:
    """What the account may sell of each SKU stocked at its locations, now, with what it was
    last told and how many changes wait to be pushed."""
    from omnioms.catalog.models import BundleComponent, Sku

    rule = routing_config().rule(account_id)
    skus = Sku.objects.filter(is_active=True)
    if sku_codes:
        skus = skus.filter(code__in=sku_codes)
    else:
        stocked = StockBalance.objects.filter(location_id__in=rule.locations).values("sku_id")
        bundles = BundleComponent.objects.filter(component_id__in=stocked).values("bundle_id")
        skus = skus.filter(Q(pk__in=stocked) | Q(pk__in=bundles))
    codes = dict(skus.values_list("pk", "code"))
    figures = channel_figures(account_id, codes)
    told = {
        row.sku_id: row
        for row in ChannelAvailability.objects.filter(account_id=account_id, sku_id__in=codes)
    }
    pending: dict[int, int] = defaultdict(int)
    for sku_id in AvailabilityOutbox.objects.filter(
        account_id=account_id,
        sku_id__in=codes,
        state__in=[OutboxState.PENDING, OutboxState.SENDING],
    ).values_list("sku_id", flat=True):
        pending[sku_id] += 1
    return [
        ChannelFigure(
            sku_id=pk,
            sku_code=code,
            quantity=figures[pk],
            pushed=told[pk].quantity if pk in told else None,
            pushed_at=told[pk].pushed_at if pk in told else None,
            pending=pending.get(pk, 0),
        )
        for pk, code in sorted(codes.items(), key=lambda item: item[1])
    ]


def backorders(user: WebUser) -> QuerySet[OrderStock]:
    """Backordered orders the user may see, oldest first, with what they lack."""
    return (
        OrderStock.objects.filter(status=OrderStockStatus.BACKORDER, order__in=visible_orders(user))
        .select_related("order", "order__account")
        .order_by("order__placed_at", "order_id")
    )


def shortages_of(order_ids: list[int]) -> dict[int, list[Shortage]]:
    found: dict[int, list[Shortage]] = defaultdict(list)
    for row in Shortage.objects.filter(order_id__in=order_ids).select_related("sku", "location"):
        found[row.order_id].append(row)
    return found


def unbacked(user: WebUser, *, limit: int = 200) -> list[OrderRef[Reservation]]:
    """Units that left (store sales, shipments) when the record showed none free: a count is
    due there. The order is named only if the user may see it: the count is due either way."""
    return with_visible_orders(
        user,
        list(
            Reservation.objects.filter(
                state=ReservationState.UNBACKED, location__in=visible_locations(user)
            )
            .select_related("order", "sku", "location")
            .order_by("-updated_at")[:limit]
        ),
    )


def stock_problems() -> list[str]:
    """Every broken stock invariant, described; empty when the books are right.

    On hand equals the ledger's sum; reserved equals what orders hold; neither is negative and
    reserved never exceeds on hand. Tests call this after every step; so can an operator.
    """
    problems = []
    ledger_sums = {
        (row["sku_id"], row["location_id"]): row["total"]
        for row in StockMovement.objects.values("sku_id", "location_id")
        .order_by()
        .annotate(total=Sum("quantity"))
    }
    held = {
        (row["sku_id"], row["location_id"]): row["total"]
        for row in Reservation.objects.filter(state=ReservationState.RESERVED)
        .values("sku_id", "location_id")
        .order_by()
        .annotate(total=Sum("quantity"))
    }
    balances = {(b.sku_id, b.location_id): b for b in StockBalance.objects.all().order_by("pk")}
    for pair in sorted(set(ledger_sums) | set(held) | set(balances)):
        balance = balances.get(pair)
        on_hand = balance.on_hand if balance else 0
        reserved = balance.reserved if balance else 0
        if ledger_sums.get(pair, 0) != on_hand:
            problems.append(f"{pair}: ledger sums to {ledger_sums.get(pair, 0)}, on hand {on_hand}")
        if held.get(pair, 0) != reserved:
            problems.append(f"{pair}: orders hold {held.get(pair, 0)}, reserved {reserved}")
        if not 0 <= reserved <= on_hand:
            problems.append(f"{pair}: reserved {reserved} outside 0..{on_hand}")
    return problems


def change_to_queued_latencies(*, since: object = None) -> list[float]:
    """Seconds from each stock change to its outbox row being committed (bench, UI)."""
    rows = AvailabilityOutbox.objects.filter(queued_at__isnull=False)
    if since is not None:
        rows = rows.filter(changed_at__gte=since)
    return [
        (queued - changed).total_seconds()
        for changed, queued in rows.values_list("changed_at", "queued_at")
        if queued is not None
    ]


def today() -> date:
    return timezone.localdate()


def needs_of_orders(orders: QuerySet[Order]) -> dict[int, Needs]:
    """Units per SKU each of ``orders`` calls for (``domain.order_needs``: quantity less
    refunded, bundles as the parts the channel sent, else the catalogue's), in three queries.

    Demand history and net requirements count orders the way reservations do."""
    lines: dict[int, list[tuple[int, LineRow]]] = defaultdict(list)
    rows = OrderLine.objects.filter(order__in=orders).values_list(
        "pk", "order_id", "sku_id", "quantity", "refunded_quantity"
    )
    for line_id, order_id, sku_id, quantity, refunded in rows:
        lines[order_id].append((line_id, LineRow(sku_id, quantity, refunded)))
    line_ids = [line_id for rows_ in lines.values() for line_id, _row in rows_]
    sent: dict[int, list[tuple[int | None, int]]] = defaultdict(list)
    for line_id, sku_id, per in OrderLineComponent.objects.filter(line_id__in=line_ids).values_list(
        "line_id", "sku_id", "quantity"
    ):
        sent[line_id].append((sku_id, per))
    skus = {row.sku_id for rows_ in lines.values() for _id, row in rows_ if row.sku_id}
    bundles: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for bundle_id, component_id, per in BundleComponent.objects.filter(
        bundle_id__in=skus
    ).values_list("bundle_id", "component_id", "quantity"):
        bundles[bundle_id].append((component_id, per))
    return {
        order_id: order_needs(
            [
                LineRow(row.sku_id, row.quantity, row.refunded, tuple(sent.get(line_id, ())))
                for line_id, row in rows_
            ],
            bundles,
        )
        for order_id, rows_ in lines.items()
    }
