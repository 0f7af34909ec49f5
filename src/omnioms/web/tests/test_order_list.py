"""The order list: filters, search, keyset paging, htmx fragments and clear errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import strip_tags

from omnioms.core.actor import Actor
from omnioms.orders.services import change_order_status
from omnioms.web.tests.conftest import Shop
from omnioms.web.tests.factories import import_orders, order_data, submit


def listed(client: Client, **params: Any) -> list[str]:
    response = client.get(reverse("web:order_list"), params)
    assert response.status_code == 200
    assert response.context["page"] is not None, response.context["form"].errors
    return [order.external_id for order in response.context["page"].items]


@pytest.fixture
def mixed_orders(shop: Shop) -> None:
    submit(shop.north_pos, order_data("N-1", status="paid", buyer="Zhang Wei"))
    submit(shop.north_pos, order_data("N-2", status="shipped", buyer="Li Na"))
    submit(shop.south_pos, order_data("S-1", status="paid", buyer="Zhang San"))
    submit(shop.web_shop, order_data("W-1", channel="shopify", status="shipped", buyer="Ann Lee"))
    submit(shop.web_shop, order_data("W-2", channel="shopify", status="cancelled", buyer="Bo Li"))


@pytest.mark.django_db
@pytest.mark.usefixtures("mixed_orders", "order_clerk")
class TestFilters:
    def test_no_filter_lists_every_order_newest_first(self, client: Client) -> None:
        assert listed(client) == ["W-2", "W-1", "S-1", "N-2", "N-1"]

    def test_channel_filter_lists_only_that_channels_orders(self, client: Client) -> None:
        assert listed(client, channel="shopify") == ["W-2", "W-1"]
        assert listed(client, channel="manual") == ["S-1", "N-2", "N-1"]

    def test_account_filter_lists_only_that_accounts_orders(self, client: Client) -> None:
        assert listed(client, account="south-pos") == ["S-1"]

    def test_status_filter_lists_only_orders_in_that_status(self, client: Client) -> None:
        assert listed(client, status="shipped") == ["W-1", "N-2"]

    def test_filters_combine(self, client: Client) -> None:
        assert listed(client, channel="manual", status="paid") == ["S-1", "N-1"]

    def test_search_finds_an_order_by_its_exact_external_id(self, client: Client) -> None:
        assert listed(client, q="N-2") == ["N-2"]

    def test_search_finds_orders_by_the_start_of_the_buyers_name(self, client: Client) -> None:
        assert listed(client, q="Zhang") == ["S-1", "N-1"]

    def test_search_finds_an_order_by_the_buyers_email(self, client: Client) -> None:
        assert listed(client, q="ann.lee@example.com") == ["W-1"]

    def test_a_filter_that_matches_nothing_says_so(self, client: Client) -> None:
        response = client.get(reverse("web:order_list"), {"q": "nobody"})

        assert response.context["page"].items == []
        assert "No orders match these filters." in response.content.decode()


@pytest.mark.django_db
def test_the_date_range_is_whole_business_days_in_the_configured_time_zone(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    # Asia/Shanghai is UTC+8: 15:59 UTC on 1 March is 23:59 local, 16:00 UTC is 2 March 00:00.
    def at(day: int, hour: int, minute: int) -> datetime:
        return datetime(2024, 3, day, hour, minute, tzinfo=UTC)

    submit(shop.north_pos, order_data("late-1-mar", created_at=at(1, 15, 59)))
    submit(shop.north_pos, order_data("early-2-mar", created_at=at(1, 16, 0)))
    submit(shop.north_pos, order_data("late-2-mar", created_at=at(2, 15, 59)))
    submit(shop.north_pos, order_data("early-3-mar", created_at=at(2, 16, 0)))

    assert listed(client, placed_from="2024-03-02", placed_to="2024-03-02") == [
        "late-2-mar",
        "early-2-mar",
    ]
    assert listed(client, placed_from="2024-03-02") == ["early-3-mar", "late-2-mar", "early-2-mar"]
    assert listed(client, placed_to="2024-03-01") == ["late-1-mar"]


@pytest.mark.django_db
def test_the_list_shows_local_time_translated_status_total_and_a_difference_marker(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(
        shop.north_pos,
        order_data("N-1", created_at=datetime(2024, 3, 1, 16, 5, tzinfo=UTC), total="70.00"),
    )

    page = client.get(reverse("web:order_list")).content.decode()

    assert "2024-03-02 00:05" in page
    assert "North POS" in page
    assert "Manual entry" in page
    assert 'class="badge status-paid">Paid<' in page
    assert "CN¥70.00" in page
    assert "differs from lines, shipping, tax and discounts by CN¥10.00" in page


def _cursor(raw: str) -> str:
    """A page cursor as the list encodes one, around any JSON."""
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"placed_from": "2024-13-45"}, "Placed from", "Enter a valid date."),
        ({"placed_to": "yesterday"}, "Placed to", "Enter a valid date."),
        ({"placed_from": "2024-03-02", "placed_to": "2024-03-01"}, "Placed to", "must not be"),
        ({"status": "lost"}, "Status", "Select a valid choice."),
        ({"channel": "ebay"}, "Channel", "Select a valid choice."),
        ({"cursor": "garbage!"}, "Page", "start again from the first page"),
        ({"cursor": "WyJuZXh0IiwgIm5vdC1hLWRhdGUiLCAxXQ"}, "Page", "start again"),
        # "to" includes its own day: the end of 9999-12-31 would be midnight of the year 10000
        ({"placed_to": "9999-12-31"}, "Placed to", "less than or equal to 9999-12-30"),
        # midnight of 0001-01-01 in Beijing is still the year 0 in UTC
        ({"placed_from": "0001-01-01"}, "Placed from", "greater than or equal to 1900-01-01"),
        ({"placed_from": "1899-12-31"}, "Placed from", "greater than or equal to 1900-01-01"),
        # crafted cursors: an id past any integer, a time before the year 1 in UTC
        ({"cursor": _cursor('["next", "2026-01-01T00:00:00+00:00", 1e400]')}, "Page", "start"),
        ({"cursor": _cursor('["prev", "0001-01-01T00:00:00+08:00", 7]')}, "Page", "start"),
    ],
)
def test_invalid_filter_input_names_the_field_instead_of_failing(
    client: Client,
    shop: Shop,
    order_clerk: object,
    params: dict[str, str],
    field: str,
    fragment: str,
) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on
    submit(shop.north_pos, order_data("N-1"))

    response = client.get(reverse("web:order_list"), params)

    assert response.status_code == 200
    page = response.content.decode()
    assert f"<strong>{field}</strong>:" in page
    assert fragment in page
    assert response.context["page"] is None


@pytest.mark.django_db
def test_the_widest_date_range_still_lists_the_orders(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(shop.north_pos, order_data("N-1"))

    response = client.get(
        reverse("web:order_list"), {"placed_from": "1900-01-01", "placed_to": "9999-12-30"}
    )

    assert response.status_code == 200
    assert [order.external_id for order in response.context["page"].items] == ["N-1"]


@pytest.mark.django_db
def test_paging_walks_every_order_once_forwards_and_backwards(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    # 120 orders: runs of up to 30 share one placed_at, so pages split inside a tie.
    start = datetime(2024, 5, 1, tzinfo=UTC)
    orders = [
        order_data(f"P-{n:03d}", created_at=start + timedelta(hours=n // 30 if n < 90 else n))
        for n in range(120)
    ]
    import_orders(shop.north_pos, orders)

    forward: list[list[str]] = []
    url: str | None = reverse("web:order_list")
    while url:
        response = client.get(url)
        forward.append([order.external_id for order in response.context["page"].items])
        url = response.context["next_url"]
    seen = [external_id for page in forward for external_id in page]

    assert [len(page) for page in forward] == [50, 50, 20]
    assert len(seen) == len(set(seen)) == 120
    placed = {o["external_id"]: (o["created_at"]) for o in orders}
    assert [placed[i] for i in seen] == sorted((placed[i] for i in seen), reverse=True)

    backward: list[list[str]] = []
    url = response.context["previous_url"]
    while url:
        response = client.get(url)
        backward.append([order.external_id for order in response.context["page"].items])
        url = response.context["previous_url"]
    assert backward == [forward[1], forward[0]]


@pytest.mark.django_db
def test_page_links_keep_the_filters(client: Client, shop: Shop, order_clerk: object) -> None:
    import_orders(shop.north_pos, [order_data(status="paid") for _ in range(55)])
    import_orders(shop.north_pos, [order_data(status="shipped") for _ in range(5)])

    first = client.get(reverse("web:order_list"), {"status": "paid", "q": ""})
    second = client.get(first.context["next_url"])

    assert "status=paid" in first.context["next_url"]
    assert "q=" not in first.context["next_url"]
    assert len(first.context["page"].items) == 50
    assert len(second.context["page"].items) == 5
    assert {o.status for o in second.context["page"].items} == {"paid"}
    assert second.context["next_url"] is None


@pytest.mark.django_db
def test_an_htmx_request_gets_only_the_results_fragment(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    submit(shop.north_pos, order_data("N-1"))
    submit(shop.web_shop, order_data("W-1", channel="shopify"))

    full = client.get(reverse("web:order_list"), {"channel": "shopify"})
    fragment = client.get(
        reverse("web:order_list"), {"channel": "shopify"}, headers={"HX-Request": "true"}
    )
    restore = client.get(
        reverse("web:order_list"),
        {"channel": "shopify"},
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )

    assert "<html" in full.content.decode()
    body = fragment.content.decode()
    assert "<html" not in body
    assert '<div id="order-results"' in body
    assert 'id="language-next" type="hidden" value="/orders/?channel=shopify"' in body
    assert "W-1" in body
    assert "N-1" not in body
    assert "HX-Request" in fragment["Vary"]
    assert "<html" in restore.content.decode()
    assert restore.content.decode().count('id="language-next"') == 1


@pytest.mark.django_db
def test_the_filter_form_works_without_javascript_and_loads_htmx_locally(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    page = client.get(reverse("web:order_list")).content.decode()

    assert f'method="get" action="{reverse("web:order_list")}"' in page
    assert 'hx-target="#order-results"' in page
    assert 'hx-push-url="true"' in page
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in page
    assert "https://" not in page


@pytest.mark.django_db
def test_htmx_and_the_stylesheet_are_served_without_debug(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    from django.conf import settings

    assert settings.DEBUG is False
    htmx = client.get("/static/django_htmx/htmx-2.min.js")
    css = client.get("/static/web/omnioms.css")

    assert htmx.status_code == 200
    assert b"htmx" in b"".join(htmx.streaming_content)  # type: ignore[attr-defined]
    assert css.status_code == 200


@pytest.mark.django_db
def test_an_order_moved_on_in_omnioms_shows_what_its_channel_last_said(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    moved = submit(shop.north_pos, order_data("N-1", status="paid"))
    submit(shop.north_pos, order_data("N-2", status="paid"))
    change_order_status(moved.pk, "refunded", actor=Actor.system("tests"))

    page = client.get(reverse("web:order_list")).content.decode()

    rows = {
        external_id: " ".join(strip_tags(row).split())
        for row in page.split("<tr>")[2:]
        if (external_id := "N-1" if ">N-1<" in row else "N-2" if ">N-2<" in row else "")
    }
    assert "Refunded channel: Paid" in rows["N-1"]
    assert "channel:" not in rows["N-2"]
