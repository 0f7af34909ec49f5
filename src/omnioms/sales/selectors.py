"""Reads of the sales pages: customers and SKUs to pick, stock per location, quotes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from omnioms.catalog.models import Sku
from omnioms.core.models import Location
from omnioms.customers.domain import normalize_email, normalize_phone
from omnioms.customers.models import Customer, CustomerIdentity
from omnioms.inventory.models import StockBalance
from omnioms.sales.domain import PriceLine, VersionView
from omnioms.sales.models import Inquiry, Quote, QuoteVersion

SEARCH_LIMIT = 10


def find_customers(term: str) -> list[Customer]:
    """Customers by phone or e-mail (exact, through their identities) or by the start of their
    name; merged records lead to the one they were merged into."""
    term = term.strip()
    if len(term) < 2:
        return []
    keys = {term, normalize_email(term) or term, normalize_phone(term) or term}
    by_identity = CustomerIdentity.objects.filter(value__in=keys).values("customer_id")
    found = Customer.objects.filter(
        Q(pk__in=by_identity) | Q(name__startswith=term), merged_into__isnull=True
    )
    return list(found.order_by("name", "pk")[:SEARCH_LIMIT])


def find_skus(term: str) -> list[Sku]:
    """The SKU with this exact code (a scan), else SKUs whose code or name contains it."""
    term = term.strip()
    if not term:
        return []
    exact = Sku.objects.filter(code=term, is_active=True).first()
    if exact is not None:
        return [exact]
    return list(
        Sku.objects.filter(
            Q(code__icontains=term) | Q(name__icontains=term), is_active=True
        ).order_by("code")[:SEARCH_LIMIT]
    )


@dataclass(frozen=True)
class StockAt:
    location: str
    available: int


def stock_by_location(sku_ids: Iterable[int], here: int) -> dict[int, tuple[int, list[StockAt]]]:
    """Per SKU: what is available at location ``here``, and at every other active location that
    has some (most first)."""
    ids = list(sku_ids)
    result: dict[int, tuple[int, list[StockAt]]] = {sku: (0, []) for sku in ids}
    elsewhere: dict[int, list[StockAt]] = defaultdict(list)
    here_figure: dict[int, int] = defaultdict(int)
    rows = StockBalance.objects.filter(sku_id__in=ids, location__is_active=True).values_list(
        "sku_id", "location_id", "location__code", "on_hand", "reserved", "safety_stock"
    )
    for sku_id, location_id, code, on_hand, reserved, safety in rows:
        available = on_hand - reserved - safety
        if location_id == here:
            here_figure[sku_id] = available
        elif available > 0:
            elsewhere[sku_id].append(StockAt(code, available))
    for sku in ids:
        result[sku] = (
            here_figure[sku],
            sorted(elsewhere[sku], key=lambda s: (-s.available, s.location)),
        )
    return result


def stores_for(user: object) -> QuerySet[Location]:
    from omnioms.orders.selectors import user_store_id

    stores = Location.objects.filter(kind="store", is_active=True).order_by("code")
    if getattr(user, "has_perm", None) and user.has_perm("orders.view_all_orders"):  # type: ignore[attr-defined]
        return stores
    store_id = user_store_id(user)  # type: ignore[arg-type]
    return stores.filter(pk=store_id) if store_id else stores.none()


def inquiries() -> QuerySet[Inquiry]:
    return Inquiry.objects.select_related("customer").order_by("-created_at", "-pk")


def quotes() -> QuerySet[Quote]:
    return Quote.objects.select_related("inquiry", "account", "order").order_by(
        "-created_at", "-pk"
    )


def versions_of(quote: Quote) -> list[QuoteVersion]:
    return list(
        quote.versions.select_related("created_by", "approved_by")
        .prefetch_related("lines__sku")
        .order_by("number")
    )


def version_view(version: QuoteVersion) -> VersionView:
    return VersionView(
        lines=[
            PriceLine(
                line.sku.code, line.title, line.quantity, line.list_price, line.discount_percent
            )
            for line in version.lines.all()
        ],
        valid_until=version.valid_until,
        delivery_date=version.delivery_date,
        note=version.note,
    )
