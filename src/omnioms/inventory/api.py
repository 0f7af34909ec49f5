"""Locations and stock: balances, receipts, adjustments, counts, transfers, channel figures.

Bad input is answered 4xx naming the field and changes nothing: 422 for a malformed body
(a negative quantity), 400 for what the body names but does not exist (an unknown SKU), 409
when the stock is not there (a transfer larger than available) or the change would take on
hand past the stock limit, and 409 for a movement above the ceiling sent without
``"confirm": true``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema, Text
from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.models import Location, LocationKind
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from omnioms.inventory import selectors
from omnioms.inventory.domain import STOCK_LIMIT
from omnioms.inventory.models import StockBalance, StockMovement
from omnioms.inventory.services import (
    AboveCeiling,
    StockError,
    adjust_stock,
    count_stock,
    receive_stock,
    transfer_stock,
)
from omnioms.orders.selectors import user_store_id

router = Router(tags=["inventory"])

_CODE = r"^[-a-zA-Z0-9_]+$"

# What the columns hold on both databases, so that a number too large is a 422 naming its
# field, not a 500 from the database or a row that cannot be read back.
MAX_QUANTITY = STOCK_LIMIT
"""Quantities are ``IntegerField``: a PostgreSQL ``integer``; on hand never exceeds it."""
MAX_ID = 2**63 - 1
"""Ids are ``BigAutoField``."""
MAX_AMOUNT = Decimal(10 ** (AMOUNT_DIGITS - AMOUNT_PLACES) - 1)
"""Amounts are ``numeric(18, 4)``, and SQLite keeps 15 significant digits: 99,999,999,999,999.9999
would come back as 10^14, which does not fit."""


class LocationIn(InputSchema):
    code: str = Field(min_length=1, max_length=50, pattern=_CODE)
    name: str = Field(min_length=1, max_length=200)
    kind: LocationKind
    province: str = Field("", max_length=100)
    city: str = Field("", max_length=100)


class LocationOut(Schema):
    code: str
    name: str
    kind: str
    province: str
    city: str


@router.get("/locations", response=list[LocationOut])
def list_locations(request: HttpRequest) -> list[Location]:
    require_perm(request, "core.view_location")
    return list(Location.objects.all())


@router.post("/locations", response={201: LocationOut, 400: ErrorOut})
def add_location(request: HttpRequest, data: LocationIn) -> Status:
    require_perm(request, "core.add_location")
    if Location.objects.filter(code=data.code).exists():
        raise HttpError(400, f"code: location {data.code!r} already exists")
    return Status(201, Location.objects.create(**data.dict()))


class StockOut(Schema):
    sku: str
    location: str
    on_hand: int
    reserved: int
    safety_stock: int
    available: int
    reorder_point: int
    updated_at: datetime

    @staticmethod
    def resolve_sku(obj: StockBalance) -> str:
        return obj.sku.code

    @staticmethod
    def resolve_location(obj: StockBalance) -> str:
        return obj.location.code


class StockQuery(InputSchema):
    sku: str | None = None
    location: str | None = None
    below_reorder_point: bool = False


@router.get(
    "/inventory",
    response={200: list[StockOut], 400: ErrorOut},
    summary="Stock per SKU and location: on hand, reserved, available",
)
def list_stock(request: HttpRequest, q: Query[StockQuery]) -> list[StockBalance]:
    """``sku`` is an exact SKU code here (the web UI searches by prefix). A store clerk sees
    their own store's stock only."""
    require_perm(request, "inventory.view_stockbalance")
    rows = selectors.stock_list(
        request.user, location=q.location or "", below_reorder=q.below_reorder_point
    )
    if q.sku:
        _known_skus([q.sku])
        rows = rows.filter(sku__code=q.sku)
    return list(rows[:1000])


def _known_skus(codes: list[str]) -> None:
    from omnioms.catalog.models import Sku

    unknown = sorted(
        set(codes) - set(Sku.objects.filter(code__in=codes).values_list("code", flat=True))
    )
    if unknown:
        raise HttpError(400, f"sku: unknown SKU {', '.join(unknown)}")


class MovementOut(Schema):
    id: int
    sku: str
    location: str
    kind: str
    quantity: int
    on_hand_after: int
    unit_cost: Decimal | None
    currency: str
    reason: str
    document: int | None = Field(None, alias="document_id")
    order: int | None = Field(None, alias="order_id")
    actor: str = Field(alias="actor_label")
    at: datetime

    @staticmethod
    def resolve_sku(obj: StockMovement) -> str:
        return obj.sku.code

    @staticmethod
    def resolve_location(obj: StockMovement) -> str:
        return obj.location.code


def _may_act_at(request: HttpRequest, *codes: str) -> None:
    """A store clerk changes the stock of their own store only."""
    if request.user.has_perm("inventory.view_all_stock"):
        return
    store = user_store_id(request.user)
    allowed = (
        Location.objects.filter(pk=store).values_list("code", flat=True).first() if store else None
    )
    for code in codes:
        if code != allowed:
            raise HttpError(403, f"you may change the stock of your own store only, not {code!r}")


def _stock_error(exc: StockError) -> Status:
    message = exc.message
    if isinstance(exc, AboveCeiling):
        message = _('%(problem)s; if the figure is right, send it again with "confirm": true') % {
            "problem": exc.message
        }
    return Status(
        409 if exc.conflict else 400,
        {"detail": f"{exc.field}: {message}", "errors": [{"field": exc.field, "message": message}]},
    )


_CONFIRM = Field(
    False,
    description="True to record a movement above the ceiling "
    "(OMNIOMS_STOCK_MOVEMENT_CEILING): the figure was checked.",
)


class ReceiptIn(InputSchema):
    sku: str = Field(min_length=1)
    location: str = Field(min_length=1)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    unit_cost: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT)
    currency: str | None = Field(None, pattern=r"^[A-Z]{3}$")
    reference: str = Field("", max_length=200)
    incoming: int | None = Field(None, ge=1, le=MAX_ID)
    confirm: bool = _CONFIRM


_WRITE = {201: MovementOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut}


@router.post("/inventory/receipts", response=_WRITE, summary="Goods received at a location")
def post_receipt(request: HttpRequest, data: ReceiptIn) -> Status:
    require_perm(request, "inventory.receive_stock")
    _may_act_at(request, data.location)
    try:
        movement = receive_stock(
            sku=data.sku,
            location=data.location,
            quantity=data.quantity,
            unit_cost=data.unit_cost,
            currency=data.currency or "",
            reference=data.reference,
            incoming_id=data.incoming,
            actor=Actor.for_user(request.user),
            confirmed=data.confirm,
        )
    except StockError as exc:
        return _stock_error(exc)
    return Status(201, movement)


class AdjustmentIn(InputSchema):
    sku: str = Field(min_length=1)
    location: str = Field(min_length=1)
    quantity_delta: int = Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)
    reason: str = Field(min_length=1, max_length=500)
    confirm: bool = _CONFIRM


@router.post("/inventory/adjustments", response=_WRITE, summary="On hand up or down, with a reason")
def post_adjustment(request: HttpRequest, data: AdjustmentIn) -> Status:
    require_perm(request, "inventory.adjust_stock")
    _may_act_at(request, data.location)
    try:
        movement = adjust_stock(
            sku=data.sku,
            location=data.location,
            quantity_delta=data.quantity_delta,
            reason=data.reason,
            actor=Actor.for_user(request.user),
            confirmed=data.confirm,
        )
    except StockError as exc:
        return _stock_error(exc)
    return Status(201, movement)


class CountIn(InputSchema):
    sku: str = Field(min_length=1)
    location: str = Field(min_length=1)
    counted: int = Field(ge=0, le=MAX_QUANTITY)
    reason: str = Field("", max_length=500)
    confirm: bool = _CONFIRM


class CountOut(Schema):
    sku: str
    location: str
    on_hand: int
    correction: MovementOut | None


@router.post(
    "/inventory/counts",
    response={200: CountOut, 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="A stock count: on hand becomes what was counted",
)
def post_count(request: HttpRequest, data: CountIn) -> Status:
    require_perm(request, "inventory.adjust_stock")
    _may_act_at(request, data.location)
    try:
        movement = count_stock(
            sku=data.sku,
            location=data.location,
            counted=data.counted,
            reason=data.reason,
            actor=Actor.for_user(request.user),
            confirmed=data.confirm,
        )
    except StockError as exc:
        return _stock_error(exc)
    return Status(
        200,
        {
            "sku": data.sku,
            "location": data.location,
            "on_hand": data.counted,
            "correction": movement,
        },
    )


class TransferIn(InputSchema):
    sku: str = Field(min_length=1)
    from_location: str = Field(min_length=1)
    to_location: str = Field(min_length=1)
    quantity: int = Field(gt=0, le=MAX_QUANTITY)
    reason: str = Field("", max_length=500)
    confirm: bool = _CONFIRM


@router.post(
    "/inventory/transfers",
    response={201: dict[str, MovementOut], 400: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    summary="Move stock from one location to another: the two ledger rows, out and in",
)
def post_transfer(request: HttpRequest, data: TransferIn) -> Status:
    require_perm(request, "inventory.transfer_stock")
    _may_act_at(request, data.from_location)
    try:
        out, into = transfer_stock(
            sku=data.sku,
            from_location=data.from_location,
            to_location=data.to_location,
            quantity=data.quantity,
            reason=data.reason,
            actor=Actor.for_user(request.user),
            confirmed=data.confirm,
        )
    except StockError as exc:
        return _stock_error(exc)
    return Status(201, {"out": out, "in": into})


class ShortOut(Schema):
    sku: str
    location: str | None
    wanted: int
    available: int


class BackorderOut(Schema):
    order: int
    account: str
    external_id: str
    placed_at: datetime
    promise_date: date | None
    short: list[ShortOut]


@router.get(
    "/inventory/backorders", response=list[BackorderOut], summary="Orders waiting for stock"
)
def list_backorders(request: HttpRequest) -> list[dict[str, object]]:
    require_perm(request, "inventory.view_orderstock")
    rows = list(selectors.backorders(request.user)[:500])
    shorts = selectors.shortages_of([row.order_id for row in rows])
    return [
        {
            "order": row.order_id,
            "account": row.order.account.name,
            "external_id": row.order.external_id,
            "placed_at": row.order.placed_at,
            "promise_date": row.promise_date,
            "short": [
                {
                    "sku": s.sku.code,
                    "location": s.location.code if s.location else None,
                    "wanted": s.wanted,
                    "available": s.available,
                }
                for s in shorts.get(row.order_id, [])
            ],
        }
        for row in rows
    ]


class AvailabilityItemOut(Schema):
    sku: str
    quantity: int
    last_pushed: int | None
    pushed_at: datetime | None
    pending_changes: int


class AvailabilityOut(Schema):
    account: str
    items: list[AvailabilityItemOut]


class AvailabilityQuery(InputSchema):
    sku: list[str] | None = None


@router.get(
    "/channels/{account}/availability",
    response={200: AvailabilityOut, 400: ErrorOut, 404: ErrorOut},
    summary="What a channel account may sell now, per SKU",
)
def channel_availability(
    request: HttpRequest, account: Text, q: Query[AvailabilityQuery]
) -> dict[str, object]:
    """Available at the account's locations under its allocation rule (buffer, share, cap),
    with what the channel was last told and how many changes wait to be pushed."""
    require_perm(request, "inventory.view_stockbalance", "inventory.view_all_stock")
    found = ChannelAccount.objects.filter(name=account).first()
    if found is None:
        raise HttpError(404, f"no channel account named {account!r}")
    _known_skus(q.sku or [])
    figures = selectors.channel_availability(found.pk, sku_codes=q.sku or None)
    return {
        "account": found.name,
        "items": [
            {
                "sku": f.sku_code,
                "quantity": f.quantity,
                "last_pushed": f.pushed,
                "pushed_at": f.pushed_at,
                "pending_changes": f.pending,
            }
            for f in figures
        ],
    }
