"""The order list's filters that need stock and lines (fulfilling location, SKU, must ship by),
its sortings with keyset paging, its bounded count, and the rows of its bulk documents.

The web's order list (``web.selectors``) applies these on top of ``orders.selectors``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from omnioms.catalog.models import Sku
from omnioms.channels.models import ChannelAccount
from omnioms.core.choices import OrderStatus
from omnioms.inventory.models import Reservation, ReservationState
from omnioms.orders.models import Order, OrderLine
from omnioms.sales.documents import DocLine, SlipOrder, address_text

DEFAULT_SHIP_WITHIN_HOURS = 48
"""The time an order must ship in after payment when its account says nothing
(``options["ship_within_hours"]``); 48 hours is the Taobao/Tmall and Douyin default."""

TO_SHIP = (OrderStatus.PAID, OrderStatus.PARTIALLY_SHIPPED)

COUNT_LIMIT = 100_000
"""The list counts at most this many matching orders (then shows "100,000+"): an exact count
of a million rows is a full scan on every page view."""


def ship_within(account: ChannelAccount) -> timedelta:
    hours = account.options.get("ship_within_hours") if isinstance(account.options, dict) else None
    try:
        value = int(hours) if hours is not None else DEFAULT_SHIP_WITHIN_HOURS
    except (TypeError, ValueError):
        value = DEFAULT_SHIP_WITHIN_HOURS
    return timedelta(hours=max(0, min(value, 24 * 365)))


def ship_by(order: Order) -> datetime | None:
    """When an order still to ship must have shipped: paid (else placed) plus its account's
    time to ship. None for orders not waiting to ship."""
    if order.status not in TO_SHIP:
        return None
    return (order.paid_at or order.placed_at) + ship_within(order.account)


def must_ship_by(orders: QuerySet[Order], before: datetime) -> QuerySet[Order]:
    """Orders still to ship whose deadline falls before ``before``."""
    windows: dict[timedelta, list[int]] = defaultdict(list)
    for account in ChannelAccount.objects.only("pk", "options"):
        windows[ship_within(account)].append(account.pk)
    due = Q(pk__in=[])
    for window, accounts in windows.items():
        due |= Q(account_id__in=accounts, _ship_from__lt=before - window)
    return (
        orders.filter(status__in=TO_SHIP)
        .annotate(_ship_from=Coalesce("paid_at", "placed_at"))
        .filter(due)
    )


def fulfilled_from(orders: QuerySet[Order], location_id: int) -> QuerySet[Order]:
    """Orders fulfilled at a location: stock reserved or taken there, or the order's own
    location (a store's orders)."""
    held = Reservation.objects.filter(
        order=OuterRef("pk"),
        location_id=location_id,
        state__in=[ReservationState.RESERVED, ReservationState.CONSUMED],
    )
    return orders.filter(Q(location_id=location_id) | Exists(held))


def with_sku(orders: QuerySet[Order], code: str) -> QuerySet[Order]:
    """Orders with a line of this SKU (our code, or the code the channel sent)."""
    sku = Sku.objects.filter(code=code).only("pk").first()
    match = Q(sku_id=sku.pk) | Q(sku_code=code) if sku is not None else Q(sku_code=code)
    return orders.filter(Exists(OrderLine.objects.filter(match, order=OuterRef("pk"))))


def bounded_count(orders: QuerySet[Order]) -> tuple[int, bool]:
    """How many orders match, up to :data:`COUNT_LIMIT`; and whether there are more."""
    found = orders.order_by()[: COUNT_LIMIT + 1].count()
    return min(found, COUNT_LIMIT), found > COUNT_LIMIT


# ----------------------------------------------------------------------------------------------
# Sorting with keyset paging

SORTS = {
    "-placed": ("placed_at", True),
    "placed": ("placed_at", False),
    "-total": ("total", True),
    "total": ("total", False),
}


class BadSortCursor(ValueError):
    pass


@dataclass(frozen=True)
class SortedPage:
    items: list[Order]
    next_cursor: str | None
    previous_cursor: str | None


def _value_text(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _encode(sort: str, direction: str, order: Order) -> str:
    field, _ = SORTS[sort]
    raw = json.dumps([sort, direction, _value_text(getattr(order, field)), order.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(sort: str, cursor: str) -> tuple[str, object, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        named, direction, text, pk = json.loads(raw)
        if named != sort or direction not in ("next", "prev") or type(pk) is not int:
            raise ValueError(cursor)
        if not 0 < pk < 2**63:
            raise ValueError(pk)
        field, _ = SORTS[sort]
        value: object
        if field == "placed_at":
            value = datetime.fromisoformat(text)
            if value.utcoffset() is None:
                raise ValueError(text)
            value = value.astimezone(UTC)
        else:
            value = Decimal(text)
            if not value.is_finite():
                raise ValueError(text)
        return direction, value, pk
    except (
        binascii.Error,
        ValueError,
        TypeError,
        OverflowError,
        InvalidOperation,
        RecursionError,
    ) as exc:
        raise BadSortCursor(cursor) from exc


def sorted_page(orders: QuerySet[Order], *, sort: str, cursor: str | None, size: int) -> SortedPage:
    """Keyset paging by ``sort`` (then id), either way: a flat cost however deep the page."""
    field, descending = SORTS[sort]
    forward = [F(field).desc(), F("pk").desc()] if descending else [F(field).asc(), F("pk").asc()]
    backward = [F(field).asc(), F("pk").asc()] if descending else [F(field).desc(), F("pk").desc()]
    if not cursor:
        rows = list(orders.order_by(*forward)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return SortedPage(rows, _encode(sort, "next", rows[-1]) if more else None, None)
    direction, value, pk = _decode(sort, cursor)
    beyond = "lt" if descending else "gt"
    before = "gt" if descending else "lt"
    if direction == "next":
        after = Q(**{f"{field}__{beyond}": value}) | Q(**{field: value, f"pk__{beyond}": pk})
        rows = list(orders.filter(after).order_by(*forward)[: size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return SortedPage(
            rows,
            _encode(sort, "next", rows[-1]) if rows and more else None,
            _encode(sort, "prev", rows[0]) if rows else None,
        )
    ahead = Q(**{f"{field}__{before}": value}) | Q(**{field: value, f"pk__{before}": pk})
    rows = list(orders.filter(ahead).order_by(*backward)[: size + 1])
    more = len(rows) > size
    rows = list(reversed(rows[:size]))
    return SortedPage(
        rows,
        _encode(sort, "next", rows[-1]) if rows else None,
        _encode(sort, "prev", rows[0]) if rows and more else None,
    )


# ----------------------------------------------------------------------------------------------
# Bulk documents and the export

BULK_LIMIT = 500
"""Orders one bulk action takes (one page of the list is 50)."""


def slip_orders(orders: QuerySet[Order]) -> list[SlipOrder]:
    """The orders with their lines and where their stock is, for pick lists and slips."""
    rows = list(orders.select_related("account", "location").order_by("placed_at", "pk"))
    ids = [order.pk for order in rows]
    lines: dict[int, list[DocLine]] = defaultdict(list)
    for line in OrderLine.objects.filter(order_id__in=ids).order_by("order_id", "position"):
        lines[line.order_id].append(
            DocLine(line.sku_code, line.title, line.quantity - line.refunded_quantity)
        )
    places: dict[int, set[str]] = defaultdict(set)
    for order_id, code in Reservation.objects.filter(
        order_id__in=ids, state=ReservationState.RESERVED
    ).values_list("order_id", "location__code"):
        places[order_id].add(code)
    return [
        SlipOrder(
            external_id=order.external_id,
            channel=str(order.account),
            placed_at=order.placed_at,
            buyer=order.buyer_name,
            ship_to=address_text(order.ship_to),
            lines=lines.get(order.pk, []),
            locations=", ".join(sorted(places.get(order.pk, set())))
            or (order.location.code if order.location else ""),
        )
        for order in rows
    ]


EXPORT_COLUMNS = (
    "placed_at",
    "account__name",
    "channel",
    "external_id",
    "buyer_name",
    "buyer_phone",
    "status",
    "channel_status",
    "currency",
    "total",
    "paid_at",
    "location__code",
)


def export_rows(orders: QuerySet[Order], chunk: int = 2000) -> Iterator[Sequence[object]]:
    """The export's rows, read in chunks (a server-side cursor on PostgreSQL)."""
    yield from (
        orders.order_by("-placed_at", "-pk").values_list(*EXPORT_COLUMNS).iterator(chunk_size=chunk)
    )
