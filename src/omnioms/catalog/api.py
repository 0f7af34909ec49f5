"""Products and SKUs."""

from __future__ import annotations

from decimal import Decimal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema
from omnioms.catalog.models import Sku
from omnioms.catalog.services import ComponentSpec, create_product
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES

router = Router(tags=["catalog"])

MAX_AMOUNT = Decimal(10 ** (AMOUNT_DIGITS - AMOUNT_PLACES) - 1)
"""The largest amount every database reads back: the columns are ``numeric(18, 4)``, and SQLite
keeps 15 significant digits, so 99,999,999,999,999.9999 would come back as 10^14 and not fit."""
MAX_QUANTITY = 2_147_483_647
"""A ``PositiveIntegerField`` is a PostgreSQL ``integer``."""


class ComponentIn(InputSchema):
    sku: str
    quantity: int = Field(ge=1, le=MAX_QUANTITY)


class ProductIn(InputSchema):
    sku: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=300)
    unit_cost: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT)
    price: Decimal | None = Field(None, ge=0, le=MAX_AMOUNT)
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    components: list[ComponentIn] = []


class ComponentOut(Schema):
    sku: str
    quantity: int


class ProductOut(Schema):
    sku: str = Field(alias="code")
    name: str
    unit_cost: Decimal | None
    price: Decimal | None
    currency: str
    components: list[ComponentOut]

    @staticmethod
    def resolve_components(obj: Sku) -> list[dict[str, object]]:
        return [
            {"sku": c.component.code, "quantity": c.quantity}
            for c in obj.components.select_related("component")
        ]


@router.post("/products", response={201: ProductOut, 400: ErrorOut})
def add_product(request: HttpRequest, data: ProductIn) -> Status:
    require_perm(request, "catalog.add_sku")
    try:
        sku = create_product(
            sku=data.sku,
            name=data.name,
            unit_cost=data.unit_cost,
            price=data.price,
            currency=data.currency,
            components=[ComponentSpec(c.sku, c.quantity) for c in data.components],
        )
    except ValueError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, sku)
