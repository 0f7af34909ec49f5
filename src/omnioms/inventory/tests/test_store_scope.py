"""A store clerk's stock pages and stock admin show their store's stock, and name no order
they may not open: not another store's, and not an online channel's order that holds or took
stock at their store (such a row is listed without its order, so the figures still add up)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.core.roles import Role
from omnioms.inventory.models import (
    ChannelStockRule,
    OrderStock,
    Reservation,
    RuleLocation,
    StockBalance,
    StockMovement,
)
from omnioms.inventory.rules import forget_rules
from omnioms.inventory.tests.factories import account, order_json, receive, store, submit
from omnioms.orders.models import Order
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db

HIDDEN = "Order of another store or channel"


@pytest.fixture
def orders() -> dict[str, Order]:
    """At the north store: its own till's orders, and an online account's orders routed to it;
    at the south store: the south till's order."""
    north, south = store("north"), store("south")
    receive("A", north, 10)
    receive("A", south, 7)
    web = account("web")  # online: no store of its own, its rule routes it to north
    rule = ChannelStockRule.objects.create(account=web)
    RuleLocation.objects.create(rule=rule, location=north)
    forget_rules()
    north_till, south_till = (
        account("north-till", location=north),
        account("south-till", location=south),
    )
    made = {
        "NORTH-OWN-3": submit(north_till, order_json("NORTH-OWN-3", [("A", 1)])),
        "NORTH-SOLD-4": submit(
            north_till, order_json("NORTH-SOLD-4", [("A", 1)], status="shipped")
        ),
        "WEB-HELD-1": submit(web, order_json("WEB-HELD-1", [("A", 2)])),
        # 6 free at north: 6 taken from stock, 3 more left without stock on record
        "WEB-SHIPPED-2": submit(web, order_json("WEB-SHIPPED-2", [("A", 9)], status="shipped")),
        "SOUTH-ORDER-9": submit(south_till, order_json("SOUTH-ORDER-9", [("A", 2)])),
    }
    assert Reservation.objects.filter(order=made["WEB-HELD-1"], location=north).exists()
    assert StockMovement.objects.filter(order=made["WEB-SHIPPED-2"], location=north).exists()
    assert Reservation.objects.filter(order=made["WEB-SHIPPED-2"], state="unbacked").exists()
    return made


def north_clerk(client: Client, *, staff: bool = False) -> User:
    clerk = make_user(Role.STORE_CLERK, store="north")
    clerk.is_staff = staff
    clerk.save()
    client.force_login(clerk)
    return clerk


def order_url(order: Order) -> str:
    return reverse("web:order_detail", args=[order.pk])


def admin_url(model: type[Any], view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def placed(order: Order) -> str:
    return timezone.localtime(order.placed_at).strftime("%Y-%m-%d %H:%M")


MINE = ("NORTH-OWN-3", "NORTH-SOLD-4")
ONLINE = ("WEB-HELD-1", "WEB-SHIPPED-2")


# ----------------------------------------------------------------------------------------------
# Stock pages


def test_the_clerk_may_open_their_stores_orders_only(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client)
    for name in MINE:
        assert client.get(order_url(orders[name])).status_code == 200, name
    for name in (*ONLINE, "SOUTH-ORDER-9"):
        assert client.get(order_url(orders[name])).status_code == 404, name


def test_the_stock_detail_lists_every_holder_and_movement_but_names_only_visible_orders(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client)

    response = client.get(reverse("inventory:stock_detail", args=["A", "north"]))

    assert response.status_code == 200
    page = response.content.decode()
    for name in MINE:
        assert name in page, name
        assert order_url(orders[name]) in page, name
    for name in ONLINE:
        assert name not in page, name
        assert order_url(orders[name]) not in page, name
    assert placed(orders["WEB-HELD-1"]) not in page
    # WEB-HELD-1 among the holders, WEB-SHIPPED-2 in the ledger: listed, unnamed
    assert page.count(HIDDEN) == 2
    held = page[page.index("Held by orders") : page.index("Ledger")]
    assert '<td class="num">2</td>' in held  # the 2 units WEB-HELD-1 holds still show


def test_a_user_who_sees_every_order_sees_them_named_on_the_stock_detail(
    client: Client, orders: dict[str, Order]
) -> None:
    client.force_login(make_user(Role.MANAGER))

    page = client.get(reverse("inventory:stock_detail", args=["A", "north"])).content.decode()

    for name in (*MINE, *ONLINE):
        assert name in page, name
        assert order_url(orders[name]) in page, name
    assert HIDDEN not in page


def test_the_alerts_name_no_order_the_clerk_may_not_see(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client)

    response = client.get(reverse("inventory:alerts"))

    assert response.status_code == 200
    page = response.content.decode()
    unbacked = page[page.index("Sold or shipped without stock on record") :]
    assert '<td class="mono">A</td><td>north</td>' in unbacked  # the count is still due
    assert HIDDEN in unbacked
    assert "WEB-SHIPPED-2" not in page
    assert order_url(orders["WEB-SHIPPED-2"]) not in page

    client.force_login(make_user(Role.MANAGER))
    assert "WEB-SHIPPED-2" in client.get(reverse("inventory:alerts")).content.decode()


def test_the_backorders_list_only_the_clerks_orders(
    client: Client, orders: dict[str, Order]
) -> None:
    south_till = account("south-till-2", location=store("south"))
    submit(south_till, order_json("SOUTH-SHORT-5", [("A", 50)]))
    north_till = Order.objects.get(external_id="NORTH-OWN-3").account
    submit(north_till, order_json("NORTH-SHORT-6", [("A", 50)]))
    north_clerk(client)

    page = client.get(reverse("inventory:backorders")).content.decode()

    assert "NORTH-SHORT-6" in page
    assert "SOUTH-SHORT-5" not in page


# ----------------------------------------------------------------------------------------------
# Stock admin


def test_the_clerks_stock_balance_admin_lists_their_store_only(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client, staff=True)
    mine = StockBalance.objects.get(location__code="north")
    other = StockBalance.objects.get(location__code="south")

    page = client.get(admin_url(StockBalance, "changelist")).content.decode()

    assert admin_url(StockBalance, "change", mine.pk) in page
    assert admin_url(StockBalance, "change", other.pk) not in page
    assert client.get(admin_url(StockBalance, "change", mine.pk)).status_code == 200
    assert client.get(admin_url(StockBalance, "change", other.pk)).status_code == 302  # no such


def test_the_clerks_ledger_admin_lists_their_store_and_names_only_visible_orders(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client, staff=True)
    online = StockMovement.objects.get(order=orders["WEB-SHIPPED-2"])
    own = StockMovement.objects.get(order=orders["NORTH-SOLD-4"])
    south = StockMovement.objects.filter(location__code="south")

    response = client.get(admin_url(StockMovement, "changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert admin_url(StockMovement, "change", online.pk) in page
    assert admin_url(StockMovement, "change", own.pk) in page
    for movement in south:
        assert admin_url(StockMovement, "change", movement.pk) not in page
        assert client.get(admin_url(StockMovement, "change", movement.pk)).status_code == 302
    assert "NORTH-SOLD-4" in page
    assert admin_url(Order, "change", orders["NORTH-SOLD-4"].pk) in page
    assert "WEB-SHIPPED-2" not in page
    assert admin_url(Order, "change", orders["WEB-SHIPPED-2"].pk) not in page
    assert HIDDEN in page

    detail = client.get(admin_url(StockMovement, "change", online.pk))
    assert detail.status_code == 200
    assert "WEB-SHIPPED-2" not in detail.content.decode()
    assert HIDDEN in detail.content.decode()
    assert "NORTH-SOLD-4" in client.get(admin_url(StockMovement, "change", own.pk)).content.decode()

    found = client.get(admin_url(StockMovement, "changelist"), {"q": "WEB-SHIPPED-2"})
    assert admin_url(StockMovement, "change", online.pk) not in found.content.decode()


def test_the_clerks_order_stock_admin_lists_their_orders_only(
    client: Client, orders: dict[str, Order]
) -> None:
    north_clerk(client, staff=True)

    response = client.get(admin_url(OrderStock, "changelist"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "NORTH-OWN-3" in page
    for name in (*ONLINE, "SOUTH-ORDER-9"):
        assert name not in page, name
    south = OrderStock.objects.get(order=orders["SOUTH-ORDER-9"])
    assert client.get(admin_url(OrderStock, "change", south.pk)).status_code == 302


def test_reservations_in_the_admin_follow_the_orders_a_user_may_see(
    client: Client, orders: dict[str, Order]
) -> None:
    clerk = north_clerk(client, staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_reservation"))

    page = client.get(admin_url(Reservation, "changelist")).content.decode()

    assert "NORTH-OWN-3" in page
    for name in (*ONLINE, "SOUTH-ORDER-9"):
        assert name not in page, name


def test_a_user_who_sees_all_stock_sees_every_row_in_the_stock_admin(
    client: Client, orders: dict[str, Order]
) -> None:
    client.force_login(make_user(Role.ADMINISTRATOR))

    ledger = client.get(admin_url(StockMovement, "changelist")).content.decode()
    order_stock = client.get(admin_url(OrderStock, "changelist")).content.decode()

    assert "WEB-SHIPPED-2" in ledger
    assert "NORTH-SOLD-4" in ledger
    assert HIDDEN not in ledger
    for name in (*MINE, *ONLINE, "SOUTH-ORDER-9"):
        assert name in order_stock, name
    for balance in StockBalance.objects.all():
        assert client.get(admin_url(StockBalance, "change", balance.pk)).status_code == 200
