"""Creating products, SKUs and bundles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from omnioms.catalog.models import BundleComponent, Product, Sku


@dataclass(frozen=True)
class ComponentSpec:
    sku: str
    quantity: int


def create_product(
    *,
    sku: str,
    name: str,
    unit_cost: Decimal | None = None,
    price: Decimal | None = None,
    currency: str = "CNY",
    components: Sequence[ComponentSpec] = (),
    product_code: str | None = None,
) -> Sku:
    """A SKU (and its product, created when new); with ``components`` it is a bundle.

    Raises ``ValueError`` naming the field: a SKU that exists, an unknown component, a
    component quantity below one.
    """
    if Sku.objects.filter(code=sku).exists():
        raise ValueError(f"sku: {sku!r} already exists")
    for index, part in enumerate(components, start=1):
        if part.quantity < 1:
            raise ValueError(f"components.{index}.quantity: must be at least 1")
        if part.sku == sku:
            raise ValueError(f"components.{index}.sku: a bundle cannot contain itself")
    parts = {s.code: s for s in Sku.objects.filter(code__in=[p.sku for p in components])}
    for index, part in enumerate(components, start=1):
        if part.sku not in parts:
            raise ValueError(f"components.{index}.sku: unknown SKU {part.sku!r}")
    with transaction.atomic():
        product, _ = Product.objects.get_or_create(
            code=product_code or sku, defaults={"name": name}
        )
        created = Sku.objects.create(
            product=product,
            code=sku,
            name=name,
            unit_cost=unit_cost,
            price=price,
            currency=currency,
        )
        BundleComponent.objects.bulk_create(
            BundleComponent(bundle=created, component=parts[p.sku], quantity=p.quantity)
            for p in components
        )
    return created
