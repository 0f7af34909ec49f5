"""The order list's count, sorting, filters by fulfilling location, SKU and must-ship-by, and
its bulk actions: ship the ticked orders, pick list and packing slips as PDF, Excel export."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import User
from django.test import Client
from openpyxl import load_workbook

from omnioms.catalog.models import Product, Sku
from omnioms.core.actor import Actor
from omnioms.core.models import LocationKind
from omnioms.inventory.services import receive_stock
from omnioms.orders.models import Order
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import make_location, order_data, submit

pytestmark = pytest.mark.django_db


def _ids(response: object) -> list[str]:
    return [order.external_id for order in response.context["page"].items]  # type: ignore[attr-defined]


def test_the_list_counts_what_matches_the_filters(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    for _ in range(3):
        submit(shop.web_shop, order_data(channel="shopify"))
    submit(shop.north_pos, order_data(status="pending_payment"))
    page = client.get("/orders/", {"status": "paid"})
    assert page.context["count"] == (3, False)
    assert "3 orders" in page.content.decode()


def test_sorting_by_total_pages_through_every_order_once(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    from omnioms.web import selectors

    totals = [5, 70, 30, 30, 90, 10, 50]
    for amount in totals:
        line = {
            "sku": "X",
            "title": "x",
            "quantity": 1,
            "unit_price": str(amount),
            "total": str(amount),
        }
        submit(shop.web_shop, order_data(channel="shopify", lines=[line]))
    seen: list[int] = []
    original, selectors.ORDER_PAGE_SIZE = selectors.ORDER_PAGE_SIZE, 3
    try:
        url = "/orders/?sort=-total"
        while url:
            response = client.get(url)
            seen += [int(order.total) for order in response.context["page"].items]
            url = response.context["next_url"]
        back = client.get(response.context["previous_url"])
        assert [int(o.total) for o in back.context["page"].items] == [30, 30, 10]
    finally:
        selectors.ORDER_PAGE_SIZE = original
    assert seen == sorted(totals, reverse=True)


def test_a_broken_sort_cursor_is_a_clear_error_not_a_500(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    response = client.get("/orders/", {"sort": "total", "cursor": "bm90LWEtY3Vyc29y"})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()


def test_filter_by_sku_finds_orders_with_a_line_of_it(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    tea = {"sku": "TEA-100", "title": "tea", "quantity": 1, "unit_price": "1", "total": "1"}
    cup = {"sku": "CUP-1", "title": "cup", "quantity": 1, "unit_price": "1", "total": "1"}
    submit(shop.web_shop, order_data("A", channel="shopify", lines=[tea]))
    submit(shop.web_shop, order_data("B", channel="shopify", lines=[cup, tea]))
    submit(shop.web_shop, order_data("C", channel="shopify", lines=[cup]))
    assert sorted(_ids(client.get("/orders/", {"sku": "CUP-1"}))) == ["B", "C"]


def test_filter_by_fulfilling_location_follows_where_the_stock_is_reserved(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    warehouse = make_location("east-wh", kind=LocationKind.WAREHOUSE)
    product = Product.objects.create(code="P", name="P")
    Sku.objects.create(product=product, code="TEA-100", name="tea")
    receive_stock(
        sku="TEA-100", location=warehouse, quantity=5, unit_cost=None, actor=Actor.system()
    )
    submit(shop.web_shop, order_data("FROM-WH", channel="shopify"))
    submit(shop.north_pos, order_data("AT-NORTH"))
    assert _ids(client.get("/orders/", {"location": warehouse.pk})) == ["FROM-WH"]
    assert _ids(client.get("/orders/", {"location": shop.north.pk})) == ["AT-NORTH"]


def test_must_ship_by_lists_unshipped_orders_due_that_day_by_their_accounts_time(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    shop.north_pos.options = {"ship_within_hours": 24}
    shop.north_pos.save()
    paid = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # noon in Shanghai
    at = paid.isoformat().replace("+00:00", "Z")
    submit(shop.web_shop, order_data("WEB", channel="shopify", created_at=paid, paid_at=at))  # 48 h
    submit(shop.north_pos, order_data("NORTH", created_at=paid, paid_at=at))  # 24 h
    submit(shop.north_pos, order_data("WAITING", created_at=paid, status="pending_payment"))
    assert _ids(client.get("/orders/", {"ship_by": "2026-12-02"})) == ["NORTH"]
    assert sorted(_ids(client.get("/orders/", {"ship_by": "2026-12-03"}))) == ["NORTH", "WEB"]


def test_ticked_orders_ship_each_with_its_tracking_number_and_a_refusal_is_named(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    first = submit(shop.web_shop, order_data("S-1", channel="shopify"))
    second = submit(shop.web_shop, order_data("S-2", channel="shopify"))
    form = client.post("/orders/bulk/", {"order": [first.pk, second.pk], "action": "ship"})
    assert form.status_code == 200
    assert b"tracking_" in form.content
    response = client.post(
        "/orders/bulk/ship/",
        {
            "order": [first.pk, second.pk],
            "carrier": "SF Express",
            f"tracking_{first.pk}": "SF100",
            f"tracking_{second.pk}": "",
            "back": "https://evil.example/",
        },
    )
    assert response.status_code == 400  # the second lacks its tracking number
    assert "Tracking number: is required" in response.content.decode()
    assert Order.objects.get(pk=first.pk).status == "shipped"
    assert Order.objects.get(pk=second.pk).status == "paid"
    done = client.post(
        "/orders/bulk/ship/",
        {
            "order": [second.pk],
            "carrier": "SF Express",
            f"tracking_{second.pk}": "SF101",
            "back": "https://evil.example/",
        },
    )
    assert done.status_code == 302
    assert done["Location"] == "/orders/"
    assert Order.objects.get(pk=second.pk).status == "shipped"


def test_pick_list_and_packing_slips_are_pdfs_with_the_chinese_text(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    line = {"sku": "TEA-100", "title": "龙井绿茶", "quantity": 3, "unit_price": "1", "total": "3"}
    order = submit(
        shop.web_shop, order_data("P-1", channel="shopify", lines=[line], buyer="王小明")
    )
    for action in ("pick_list", "packing_slips"):
        response = client.post("/orders/bulk/", {"order": [order.pk], "action": action})
        assert response["Content-Type"] == "application/pdf"
        assert response.content.startswith(b"%PDF")
        assert b"STSong-Light" in response.content  # the Chinese font is named


def test_a_clerk_cannot_print_another_stores_orders(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    south = submit(shop.south_pos, order_data("SOUTH"))
    login_as("store_clerk", store=shop.north)
    response = client.post("/orders/bulk/", {"order": [south.pk], "action": "pick_list"})
    assert response.status_code == 302  # nothing of theirs was ticked


def test_the_export_is_the_whole_filtered_list_as_a_workbook(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    for number in range(3):
        submit(shop.web_shop, order_data(f"X-{number}", channel="shopify", buyer="=HYPERLINK(1)"))
    submit(shop.north_pos, order_data("N-1", status="pending_payment"))
    response = client.get("/orders/export.xlsx", {"status": "paid"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(values_only=True))
    assert rows[0][3] == "External id"
    assert sorted(row[3] for row in rows[1:]) == ["X-0", "X-1", "X-2"]
    assert rows[1][4] == "'=HYPERLINK(1)"  # never a formula
    bad = client.get("/orders/export.xlsx", {"ship_by": "not-a-day"})
    assert bad.status_code == 400


def test_a_ticked_order_its_flow_does_not_let_ship_is_left_out_with_the_reason(
    client: Client, shop: Shop, order_clerk: User
) -> None:
    waiting = submit(
        shop.web_shop, order_data("UNPAID", channel="shopify", status="pending_payment")
    )
    paid = submit(shop.web_shop, order_data("PAID", channel="shopify"))
    page = client.post("/orders/bulk/", {"order": [waiting.pk, paid.pk], "action": "ship"})
    skipped = page.content.decode().split('id="skipped"')[1].split("</div>")[0]
    assert "UNPAID" in skipped
    assert "PAID" not in skipped.replace("UNPAID", "")
    assert f'name="tracking_{paid.pk}"' in page.content.decode()
    assert f'name="tracking_{waiting.pk}"' not in page.content.decode()
