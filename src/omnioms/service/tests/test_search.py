"""Search as agents type it: a phone in any format or its last digits, part of an order
number, a name, an e-mail, a tracking number, a SKU; across orders, customers and tickets,
answered by the trigram index of the database in use (FTS5 on SQLite, pg_trgm on PostgreSQL).
Runs on both: ``DATABASE_URL=postgres://... pytest src/omnioms/service/tests/test_search.py``."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.service import search
from omnioms.service.models import SearchEntry, SearchKind
from omnioms.service.tests.factories import customer_mail, logged_in, order_for
from omnioms.testing import make_location, make_user, record_shipment

pytestmark = pytest.mark.django_db


@pytest.fixture
def order() -> Order:
    placed = order_for(
        email="Li.Hua@Example.cn",
        external_id="TB-3712845069123456789",
        lines=[
            {
                "sku": "QH-CUP-GL-300",
                "title": "玻璃杯 300ml",
                "quantity": 1,
                "unit_price": "59.00",
                "total": "59.00",
            }
        ],
        total="67.00",
        discount="0",
    )
    record_shipment(placed, "顺丰速运", "SF1402039441234", Actor.system())
    return placed


def kinds_found(query: str) -> set[tuple[str, int]]:
    return {(h.kind, h.object_id) for h in search.matching_entries(query)}


@pytest.mark.parametrize(
    "query",
    [
        "13800138000",
        "+86 138 0013 8000",
        "138-0013-8000",
        "(138) 0013 8000",
        "8000",
        "0013 8000",
    ],
)
def test_a_phone_in_any_format_or_its_last_digits_finds_the_order_and_customer(
    order: Order, query: str
) -> None:
    found = kinds_found(query)

    assert (SearchKind.ORDER, order.pk) in found
    assert (SearchKind.CUSTOMER, order.customer_id) in found


@pytest.mark.parametrize(
    "query", ["845069123", "TB-371284", "li.hua@example", "LI.HUA", "sf1402039441234", "cup-gl"]
)
def test_part_of_an_order_number_an_email_a_tracking_number_or_a_sku_finds_the_order(
    order: Order, query: str
) -> None:
    assert (SearchKind.ORDER, order.pk) in kinds_found(query)


@pytest.mark.parametrize(
    "query", ["SF1402039441234", "sf 1402 0394 41234", "SF-1402-0394-41234", "qh-cup-gl-300"]
)
def test_a_whole_tracking_number_or_sku_is_found_by_its_key_however_it_is_spaced(
    order: Order, query: str
) -> None:
    hits = search.matching_entries(query)

    assert [(h.kind, h.object_id) for h in hits] == [(SearchKind.ORDER, order.pk)]


def test_a_whole_sku_finds_its_orders_exactly_and_part_of_it_finds_longer_skus(
    order: Order,
) -> None:
    longer = order_for(
        email="wang@example.cn",
        external_id="TB-3712845069123450000",
        lines=[
            {
                "sku": "QH-CUP-GL-3000",
                "title": "玻璃杯 3L",
                "quantity": 1,
                "unit_price": "99.00",
                "total": "99.00",
            }
        ],
        total="99.00",
        discount="0",
    )

    assert kinds_found("QH-CUP-GL-300") == {(SearchKind.ORDER, order.pk)}
    assert kinds_found("QH-CUP-GL-3000") == {(SearchKind.ORDER, longer.pk)}
    assert {(SearchKind.ORDER, order.pk), (SearchKind.ORDER, longer.pk)} <= kinds_found("cup-gl-30")


def test_a_whole_code_with_another_word_must_match_both(order: Order) -> None:
    assert kinds_found("carter sf1402039441234") == {(SearchKind.ORDER, order.pk)}
    assert not kinds_found("wang sf1402039441234")


def test_the_start_of_an_e_mail_finds_it_and_its_middle_still_does(order: Order) -> None:
    other = order_for(email="li.huang@example.cn", external_id="TB-3712845069123450001")

    assert kinds_found("li.hua@exa") == {
        (SearchKind.ORDER, order.pk),
        (SearchKind.CUSTOMER, order.customer_id),
    }
    assert (SearchKind.ORDER, other.pk) in kinds_found("huang@example")
    assert not kinds_found("li.hua@nowhere")


def test_a_name_finds_the_customer_and_their_ticket(order: Order) -> None:
    ticket = customer_mail("杯子碎了", sender="li.hua@example.cn")

    found = kinds_found("sam carter")

    assert (SearchKind.CUSTOMER, order.customer_id) in found
    assert (SearchKind.TICKET, ticket.pk) in found
    assert (SearchKind.TICKET, ticket.pk) in kinds_found(ticket.number)


def test_words_must_all_match(order: Order) -> None:
    assert kinds_found("carter 8000")
    assert not kinds_found("carter 9999")


def test_two_characters_are_too_few_to_search() -> None:
    with pytest.raises(search.QueryTooShort):
        search.matching_entries("13")


def test_percent_and_underscore_are_searched_as_themselves(order: Order) -> None:
    assert not kinds_found("%%%")
    assert not kinds_found("___")


def test_an_order_changed_later_is_found_by_what_it_says_now(order: Order) -> None:
    record_shipment(order, "EMS", "EA123456789CN", Actor.system())

    assert (SearchKind.ORDER, order.pk) in kinds_found("ea123456789")
    assert kinds_found("EA123456789CN") == {(SearchKind.ORDER, order.pk)}


def test_a_store_clerk_finds_no_order_of_another_store(order: Order) -> None:
    make_location("store-x")
    clerk = make_user(Role.STORE_CLERK, store="store-x")

    found = search.search("8000", clerk)

    assert found.get(SearchKind.ORDER, []) == []


def test_the_rebuild_job_recreates_every_entry(order: Order) -> None:
    customer_mail()
    SearchEntry.objects.all().delete()

    result = search.rebuild_search()

    assert result["entries"] == SearchEntry.objects.count() >= 3
    assert (SearchKind.ORDER, order.pk) in kinds_found("8000")


def test_the_search_page_lists_matches_per_kind(client: Client, order: Order) -> None:
    logged_in(client, Role.CUSTOMER_SERVICE)

    page = client.get(reverse("service:search"), {"q": "138 0013 8000"}).content.decode()

    assert "TB-3712845069123456789" in page
    assert reverse("web:order_detail", args=[order.pk]) in page


def test_a_too_short_query_on_the_api_is_a_400_naming_q(client: Client) -> None:
    from omnioms.testing import api_as

    answer = api_as(client, Role.CUSTOMER_SERVICE).get("/service/search", q="12")

    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("q:")


def test_the_index_the_database_uses_is_in_place() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'service_search_trgm'"
            )
            assert "gin_trgm_ops" in cursor.fetchone()[0]
        else:
            cursor.execute("SELECT sql FROM sqlite_master WHERE name = 'service_search_fts'")
            assert "trigram" in cursor.fetchone()[0]


def test_an_order_indexed_by_another_transaction_meanwhile_is_updated_not_refused(
    order: Order,
) -> None:
    """Two intakes of one customer at once: the entry one writes after the other looked it up
    is not a unique-constraint failure of the second (which would lose its orders); the
    second's document wins and the keys follow it."""
    stale = SearchEntry.objects.get(kind=SearchKind.ORDER, object_id=order.pk)
    Order.objects.filter(pk=order.pk).update(buyer_email="new.mail@example.cn")

    # ``unseen``: this writer believes the order has no entry yet, as the other transaction's
    # had not committed when it looked
    search.index_orders([order.pk], unseen={order.pk})

    entry = SearchEntry.objects.get(kind=SearchKind.ORDER, object_id=order.pk)
    assert entry.pk == stale.pk
    assert "new.mail@example.cn" in entry.document
    assert kinds_found("new.mail@example.cn") == {(SearchKind.ORDER, order.pk)}
    assert (SearchKind.ORDER, order.pk) not in kinds_found("li.hua@example.cn")  # key replaced
    assert kinds_found("SF1402039441234") == {(SearchKind.ORDER, order.pk)}
