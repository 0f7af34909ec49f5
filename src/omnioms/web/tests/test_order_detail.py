"""The order page: header, customer, ship-to, lines, amounts, timeline, notes, raw payloads."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags

from omnioms.catalog.models import ChannelSkuMapping, Product, Sku
from omnioms.channels.models import PayloadOutcome
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders.models import Order, OrderEventKind
from omnioms.orders.services import change_order_status
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import order_data, payload_of, post_webhook, submit

PLACED = datetime(2024, 3, 1, 2, 30, tzinfo=UTC)

LINES: list[dict[str, Any]] = [
    {
        "external_line_id": "L1",
        "sku": "EXT-TEA",
        "title": "Green tea 100 g",
        "quantity": 2,
        "unit_price": "30.00",
        "discount": "5.00",
        "total": "55.00",
        "refunded_quantity": 1,
    },
    {
        "external_line_id": "L2",
        "sku": "GIFT-CUP",
        "title": "Tasting cup",
        "quantity": 1,
        "unit_price": "0.00",
        "total": "0.00",
        "is_gift": True,
    },
    {
        "external_line_id": "L3",
        "sku": "SET-3",
        "title": "Tea sampler",
        "quantity": 1,
        "unit_price": "99.00",
        "total": "99.00",
        "components": [{"sku": "TEA-100", "quantity": 2}, {"sku": "OOLONG-50", "quantity": 1}],
    },
]


def rich_order(**fields: Any) -> dict[str, Any]:
    data = order_data(
        "TB-1001",
        created_at=PLACED,
        paid_at="2024-03-01T02:35:00Z",
        buyer="Zhang Wei",
        lines=LINES,
        shipping="10.00",
        discount="5.00",
        tax="12.00",
        taxes_included=True,
        total="164.00",
        raw_status="WAIT_SELLER_SEND_GOODS",
        ship_to={
            "name": "张*",
            "phone": "138****0000",
            "province": "浙江省",
            "city": "杭州市",
            "district": "西湖区",
            "address": "文三路***",
            "country": "CN",
            "masked": True,
        },
        notes={"buyer": "周末配送", "seller": None},
    )
    data.update(fields)
    return data


@pytest.fixture
def order(shop: Shop) -> Order:
    sku = Sku.objects.create(
        product=Product.objects.create(code="TEA", name="Tea"), code="TEA-100", name="Tea"
    )
    ChannelSkuMapping.objects.create(account=shop.north_pos, external_sku="EXT-TEA", sku=sku)
    return submit(shop.north_pos, rich_order())


@pytest.mark.django_db
def test_the_order_page_shows_header_customer_ship_to_and_amounts(
    client: Client, order: Order, shop: Shop, order_clerk: object
) -> None:
    submit(shop.south_pos, order_data("S-7", buyer="Zhang Wei", created_at=PLACED))

    response = client.get(reverse("web:order_detail", args=[order.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Order TB-1001" in page
    assert "North POS" in page
    assert "Manual entry" in page
    assert "WAIT_SELLER_SEND_GOODS" in page
    assert "2024-03-01 10:30:00" in page  # placed, in Asia/Shanghai
    assert "2024-03-01 10:35:00" in page  # paid
    assert "North Store (north-store)" in page
    assert "Zhang Wei" in page
    assert "1 other order of this customer" in page
    assert "masked by the channel" in page
    assert "浙江省" in page
    assert "周末配送" in page
    assert "CN¥164.00" in page
    assert "included in prices" in page
    assert "differs from what the lines" not in page


@pytest.mark.django_db
def test_the_order_page_warns_when_the_channels_total_does_not_add_up(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    order = submit(shop.north_pos, order_data("N-1", total="70.00"))

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()

    assert "differs from what the lines, shipping, tax and discounts add up to, by CN¥10.00" in page


@pytest.mark.django_db
def test_the_lines_show_sent_and_mapped_skus_gifts_refunds_and_bundle_parts(
    client: Client, order: Order, order_clerk: object
) -> None:
    response = client.get(reverse("web:order_detail", args=[order.pk]))

    lines = response.context["lines"]
    page = response.content.decode()
    assert [line.sku_code for line in lines] == ["EXT-TEA", "GIFT-CUP", "SET-3"]
    assert lines[0].sku.code == "TEA-100"
    assert '<td class="mono">TEA-100</td>' in page
    assert page.count("not mapped") == 3  # GIFT-CUP, SET-3 and the OOLONG-50 part
    assert 'class="badge gift">Gift<' in page
    assert 'class="badge refunded">1<' in page
    assert "−CN¥5.00" in page
    assert "2 × TEA-100" in page
    assert "1 × OOLONG-50" in page


@pytest.mark.django_db
def test_the_timeline_shows_who_did_what_with_changed_fields_and_status_changes(
    client: Client, order: Order, shop: Shop, order_clerk: object
) -> None:
    update = rich_order(
        status="shipped",
        updated_at=(PLACED + timedelta(days=1)).isoformat().replace("+00:00", "Z"),
        shipping="12.00",
        total="166.00",
    )
    result = post_webhook(shop.north_pos, update)
    assert result.outcome == PayloadOutcome.UPDATED
    change_order_status(order.pk, "completed", actor=Actor.system("delivery-check"))

    response = client.get(reverse("web:order_detail", args=[order.pk]))

    timeline = response.context["timeline"]
    # The channel's update and the status change it carries are written in one transaction;
    # which of the two sorts first is the upsert's business, not the page's.
    first, *same_delivery, last = timeline
    assert (first.kind, first.actor) == (OrderEventKind.CREATED, "tests")
    assert (last.kind, last.actor) == (OrderEventKind.STATUS_CHANGED, "delivery-check")
    by_kind = {entry.kind: entry for entry in same_delivery}
    assert sorted(by_kind) == [OrderEventKind.STATUS_CHANGED, OrderEventKind.UPDATED]
    assert {entry.actor for entry in same_delivery} == {"north-pos"}
    update, status = by_kind[OrderEventKind.UPDATED], by_kind[OrderEventKind.STATUS_CHANGED]
    changes = {change.label: (change.old, change.new) for change in update.changes}
    assert changes["Shipping"] == ("10.00", "12.00")
    assert changes["Status"] == ("Paid", "Shipped")
    assert (status.status_from, status.status_to) == ("Paid", "Shipped")
    page = response.content.decode()
    assert "Order updated by the channel" in page
    assert '<span class="from">Paid</span> → <span class="to">Shipped</span>' in page
    assert '<span class="from">Shipped</span> → <span class="to">Completed</span>' in page
    assert f'href="#payload-{result.payload_id}"' in page


@pytest.mark.django_db
def test_the_raw_payloads_that_built_the_order_are_shown_pretty_printed(
    client: Client, order: Order, shop: Shop, order_clerk: object
) -> None:
    later = rich_order(updated_at="2024-03-05T00:00:00Z", status="shipped")
    post_webhook(shop.north_pos, later, **{"X-Omnioms-Topic": "orders/updated"})

    response = client.get(reverse("web:order_detail", args=[order.pk]))

    page = response.content.decode()
    payloads = response.context["payloads"]
    assert [p.outcome for p in payloads] == [PayloadOutcome.CREATED, PayloadOutcome.UPDATED]
    assert f'<details class="payload" id="payload-{payload_of(order).pk}">' in page
    assert "Created an order" in page
    assert "Updated an order" in page
    assert "orders/updated" in page
    assert "Webhook" in page
    assert "  &quot;external_id&quot;: &quot;TB-1001&quot;,\n" in page


@pytest.mark.django_db
def test_an_order_clerk_adds_a_note_that_appears_on_the_timeline(
    client: Client, order: Order, order_clerk: object
) -> None:
    response = client.post(
        reverse("web:order_add_note", args=[order.pk]), {"text": "Buyer asked for gift wrap"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:order_detail", args=[order.pk]) + "#timeline"
    page = client.get(response["Location"]).content.decode()
    assert "Note added." in page
    assert "Buyer asked for gift wrap" in page
    note = order.events.get(kind=OrderEventKind.NOTE)
    assert note.actor_label.startswith("order_clerk")


@pytest.mark.django_db
def test_an_empty_note_is_refused_with_a_message(
    client: Client, order: Order, order_clerk: object
) -> None:
    response = client.post(reverse("web:order_add_note", args=[order.pk]), {"text": "  "})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not order.events.filter(kind=OrderEventKind.NOTE).exists()


@pytest.mark.django_db
def test_a_store_clerk_adds_a_note_to_their_stores_order(
    client: Client, order: Order, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.STORE_CLERK, store=shop.north)

    response = client.post(reverse("web:order_add_note", args=[order.pk]), {"text": "Picked up"})

    assert response.status_code == 302
    assert order.events.filter(kind=OrderEventKind.NOTE, data__text="Picked up").exists()


@pytest.mark.django_db
def test_an_unknown_order_is_not_found(client: Client, shop: Shop, order_clerk: object) -> None:
    assert client.get(reverse("web:order_detail", args=[999])).status_code == 404


def status_line(page: str) -> str:
    found = re.search(r'<p class="status-story" id="status-story">(.*?)</p>', page, re.S)
    assert found is not None
    return " ".join(strip_tags(found.group(1)).split())


@pytest.mark.django_db
def test_after_a_clerk_ships_the_header_tells_what_omnioms_did_apart_from_the_channel(
    client: Client, order: Order, order_clerk: User
) -> None:
    client.post(
        reverse("web:order_ship", args=[order.pk]),
        {"carrier": "SF Express", "tracking_number": "SF1"},
    )
    shipped = order.events.get(kind=OrderEventKind.STATUS_CHANGED)
    at = timezone.localtime(shipped.at).strftime("%Y-%m-%d %H:%M")

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()

    assert status_line(page) == (
        f"Shipped — by {order_clerk.username}, {at} "
        "Channel last said: WAIT_SELLER_SEND_GOODS (Paid)"
    )
    assert "Shipped (WAIT_SELLER_SEND_GOODS)" not in strip_tags(page)


@pytest.mark.django_db
def test_an_order_as_the_channel_reported_it_names_no_one_in_the_header(
    client: Client, order: Order, order_clerk: object
) -> None:
    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()

    assert status_line(page) == "Channel last said: WAIT_SELLER_SEND_GOODS (Paid)"


@pytest.mark.django_db
def test_a_customer_service_agent_adds_a_note_but_cannot_ship_the_order(
    client: Client, order: Order, login_as: LoginAs
) -> None:
    login_as(Role.CUSTOMER_SERVICE)

    page = client.get(reverse("web:order_detail", args=[order.pk])).content.decode()
    noted = client.post(reverse("web:order_add_note", args=[order.pk]), {"text": "Called back"})
    shipped = client.post(
        reverse("web:order_ship", args=[order.pk]),
        {"carrier": "SF Express", "tracking_number": "SF1"},
    )

    assert reverse("web:order_add_note", args=[order.pk]) in page
    assert reverse("web:order_ship", args=[order.pk]) not in page
    assert noted.status_code == 302
    assert order.events.filter(kind=OrderEventKind.NOTE, data__text="Called back").exists()
    assert shipped.status_code == 403
    order.refresh_from_db()
    assert order.status == "paid"
