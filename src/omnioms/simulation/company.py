"""The omnioms side of a simulated company: its database, built and fed through the services.

:func:`build_company` creates what the intake needs (the factory warehouse, one channel
account per scenario channel, the SKUs at cost and price) and the opening stock;
:class:`DatabaseCompany` is the engine's :class:`~omnioms.simulation.engine.Company`: each
day's orders are channel payloads upserted by ``orders.services.upsert_orders`` (one
transaction a day, as a file import does), finished goods are received into the ledger
(``inventory.services.receive_stock``) and shipments recorded by
``orders.services.ship_orders`` (a day's shipments in one batch). Only ever used on a
run's own fresh database (``runner.py``).
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction

from omnioms.catalog.services import create_product
from omnioms.channels.contract import Line, NormalizedOrder, Notes
from omnioms.channels.models import ChannelAccount, InboundPayload, PayloadSource
from omnioms.core.actor import Actor
from omnioms.core.choices import OrderStatus
from omnioms.core.models import Location, LocationKind
from omnioms.inventory.services import receive_stock
from omnioms.orders.domain import make_shipment
from omnioms.orders.models import Order
from omnioms.orders.services import Incoming, ship_orders, upsert_orders
from omnioms.simulation.demand import CustomerOrder
from omnioms.simulation.scenario import Scenario
from omnioms.sync.services import create_account

FACTORY = "factory"
ACTOR = Actor.system("simulation")


def build_company(scenario: Scenario) -> None:
    Location.objects.get_or_create(
        code=FACTORY, defaults={"name": "Factory warehouse", "kind": LocationKind.WAREHOUSE}
    )
    for channel in scenario.channels:
        create_account(
            name=channel.code,
            platform="manual",
            display_name=channel.name or channel.code,
            time_zone=scenario.time_zone,
            currency=scenario.currency,
            location_code=FACTORY,
        )
    for product in scenario.products:
        create_product(
            sku=product.sku,
            name=product.name or product.sku,
            unit_cost=Decimal(str(product.unit_cost)),
            price=Decimal(str(product.price)),
            currency=scenario.currency,
        )
        if product.opening_stock:
            receive_stock(
                sku=product.sku,
                location=FACTORY,
                quantity=int(product.opening_stock),
                unit_cost=Decimal(str(product.unit_cost)),
                actor=ACTOR,
                reference="opening stock",
            )


class DatabaseCompany:
    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.zone = ZoneInfo(scenario.time_zone)
        self.accounts = {a.name: a for a in ChannelAccount.objects.all()}
        self.prices = {p.sku: Decimal(str(p.price)) for p in scenario.products}
        self.ids: dict[str, int] = {}

    def _at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour), tzinfo=self.zone)

    def receive(self, orders: list[CustomerOrder], day: date) -> None:
        by_channel: dict[str, list[CustomerOrder]] = {}
        for order in orders:
            by_channel.setdefault(order.channel, []).append(order)
        placed = self._at(day, 10)
        with transaction.atomic():
            for code, group in by_channel.items():
                account = self.accounts[code]
                incoming = []
                for order in group:
                    price = self.prices[order.sku]
                    normalized = NormalizedOrder(
                        channel=code,
                        external_id=order.number,
                        status=OrderStatus.PAID,
                        currency=self.scenario.currency,
                        created_at=placed,
                        paid_at=placed,
                        updated_at=placed,
                        # the date the customer was promised: what the order's committed date
                        # (and so T-3 and on-time delivery in the app) count from
                        ship_by=self._at(order.due, 12),
                        lines=[
                            Line(
                                external_line_id="1",
                                sku=order.sku,
                                quantity=order.quantity,
                                unit_price=price,
                                total=price * order.quantity,
                            )
                        ],
                        total=price * order.quantity,
                        notes=Notes(
                            seller=f"due {order.due.isoformat()} tier {order.tier}"
                            + (" rush" if order.rush else "")
                        ),
                    )
                    body = normalized.model_dump_json()
                    payload = InboundPayload(
                        account=account,
                        source=PayloadSource.API,
                        received_at=placed,
                        body=body.encode(),
                        sha256=hashlib.sha256(body.encode()).hexdigest(),
                    )
                    incoming.append(Incoming(payload, normalized, contract_json=body))
                upsert_orders(account, incoming, actor=Actor.channel(code))
                numbers = [o.number for o in group]
                self.ids.update(
                    Order.objects.filter(account=account, external_id__in=numbers).values_list(
                        "external_id", "pk"
                    )
                )

    def produced(self, sku: str, quantity: int, day: date) -> None:
        product = next(p for p in self.scenario.products if p.sku == sku)
        receive_stock(
            sku=sku,
            location=FACTORY,
            quantity=quantity,
            unit_cost=Decimal(str(product.unit_cost)),
            actor=ACTOR,
            reference=f"production {day.isoformat()}",
            confirmed=True,
        )

    def ship(self, orders: list[CustomerOrder], day: date) -> None:
        shipped_at = self._at(day, 16)
        # a day's parcels in one batch: one transaction, the effects run once for all
        ship_orders(
            [
                (
                    self.ids.pop(order.number),
                    make_shipment("SF", f"SIM{order.number}", shipped_at=shipped_at),
                )
                for order in orders
            ],
            actor=ACTOR,
        )
