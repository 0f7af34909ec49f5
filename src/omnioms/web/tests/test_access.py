"""Who may open which page: login, roles, and a store clerk's own store."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.channels.models import DeadLetter
from omnioms.core.roles import Role
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import PASSWORD, make_user, order_data, post_webhook, submit


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        reverse("web:order_list"),
        reverse("web:order_detail", args=[1]),
        reverse("web:dead_letter_list"),
    ],
)
def test_every_page_sends_an_anonymous_visitor_to_the_login_page(client: Client, url: str) -> None:
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('web:login')}?next={url}"


@pytest.mark.django_db
def test_replaying_without_logging_in_changes_nothing(client: Client, shop: Shop) -> None:
    post_webhook(shop.north_pos, b"not json")
    letter = DeadLetter.objects.get()

    response = client.post(reverse("web:dead_letter_replay", args=[letter.pk]))

    assert response.status_code == 302
    letter.refresh_from_db()
    assert letter.attempts == 1


@pytest.mark.django_db
def test_a_user_logs_in_with_a_password_and_lands_on_the_order_list(
    client: Client, shop: Shop
) -> None:
    make_user("wang", Role.ORDER_CLERK)

    page = client.get(reverse("web:login"))
    response = client.post(reverse("web:login"), {"username": "wang", "password": PASSWORD})

    assert page.status_code == 200
    assert response.status_code == 302
    assert response["Location"] == reverse("web:order_list")
    assert client.get(reverse("web:order_list")).status_code == 200


@pytest.mark.django_db
def test_a_wrong_password_shows_an_error_and_does_not_log_in(client: Client, shop: Shop) -> None:
    make_user("wang", Role.ORDER_CLERK)

    response = client.post(reverse("web:login"), {"username": "wang", "password": "nope"})

    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()
    assert client.get(reverse("web:order_list")).status_code == 302


@pytest.mark.django_db
def test_logging_out_ends_the_session(client: Client, login_as: LoginAs) -> None:
    login_as(Role.ORDER_CLERK)

    response = client.post(reverse("web:logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:order_list")).status_code == 302


@pytest.mark.django_db
def test_a_store_clerk_sees_only_the_orders_of_their_own_store(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    submit(shop.north_pos, order_data("N-1"))
    submit(shop.south_pos, order_data("S-1"))
    submit(shop.web_shop, order_data("W-1", channel="shopify"))
    login_as(Role.STORE_CLERK, store=shop.north)

    response = client.get(reverse("web:order_list"))

    ids = [order.external_id for order in response.context["page"].items]
    assert ids == ["N-1"]
    account_choices = [value for value, _label in response.context["form"]["account"].field.choices]
    assert account_choices == ["", "north-pos"]


@pytest.mark.django_db
def test_a_store_clerk_gets_not_found_for_another_stores_order(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    own = submit(shop.north_pos, order_data("N-1"))
    other = submit(shop.south_pos, order_data("S-1"))
    login_as(Role.STORE_CLERK, store=shop.north)

    assert client.get(reverse("web:order_detail", args=[own.pk])).status_code == 200
    assert client.get(reverse("web:order_detail", args=[other.pk])).status_code == 404
    note = client.post(reverse("web:order_add_note", args=[other.pk]), {"text": "hello"})
    assert note.status_code == 404
    assert not other.events.filter(kind="note").exists()


@pytest.mark.django_db
def test_a_store_clerk_without_a_store_sees_no_orders(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    submit(shop.north_pos, order_data("N-1"))
    login_as(Role.STORE_CLERK)

    response = client.get(reverse("web:order_list"))

    assert response.context["page"].items == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [Role.MANAGER, Role.ORDER_CLERK, Role.CUSTOMER_SERVICE, Role.PLANNER, Role.SUPERVISOR]
)
def test_roles_that_see_every_order_see_every_store_and_channel(
    client: Client, shop: Shop, login_as: LoginAs, role: str
) -> None:
    submit(shop.north_pos, order_data("N-1"))
    submit(shop.south_pos, order_data("S-1"))
    submit(shop.web_shop, order_data("W-1", channel="shopify"))
    login_as(role)

    response = client.get(reverse("web:order_list"))

    assert {order.external_id for order in response.context["page"].items} == {"N-1", "S-1", "W-1"}


@pytest.mark.django_db
def test_a_customer_service_agent_may_not_see_dead_letters(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    post_webhook(shop.north_pos, b"not json")
    letter = DeadLetter.objects.get()
    login_as(Role.CUSTOMER_SERVICE)

    listing = client.get(reverse("web:dead_letter_list"))
    replay = client.post(reverse("web:dead_letter_replay", args=[letter.pk]))
    orders = client.get(reverse("web:order_list"))

    assert listing.status_code == 403
    assert replay.status_code == 403
    assert reverse("web:dead_letter_list") not in orders.content.decode()
    letter.refresh_from_db()
    assert letter.attempts == 1


@pytest.mark.django_db
def test_a_planner_may_read_an_order_but_not_add_a_note(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    order = submit(shop.north_pos, order_data("N-1"))
    login_as(Role.PLANNER)

    detail = client.get(reverse("web:order_detail", args=[order.pk]))
    note = client.post(reverse("web:order_add_note", args=[order.pk]), {"text": "hello"})

    assert detail.status_code == 200
    assert reverse("web:order_add_note", args=[order.pk]) not in detail.content.decode()
    assert note.status_code == 403


@pytest.mark.django_db
def test_a_user_without_a_role_is_forbidden_from_the_order_list(client: Client, shop: Shop) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("nobody", password=PASSWORD))

    assert client.get(reverse("web:order_list")).status_code == 403
    assert client.get(reverse("web:dead_letter_list")).status_code == 403


@pytest.mark.django_db
def test_the_navigation_shows_what_the_role_may_open_and_the_admin_link_to_staff(
    client: Client, shop: Shop, login_as: LoginAs
) -> None:
    login_as(Role.ORDER_CLERK, first_name="Mei", last_name="Han", is_staff=True)

    page = client.get(reverse("web:order_list")).content.decode()

    assert reverse("web:dead_letter_list") in page
    assert reverse("admin:index") in page
    assert "Mei Han" in page
    assert "Order clerk" in page
    assert reverse("set_language") in page


@pytest.mark.django_db
def test_replay_is_post_only(client: Client, shop: Shop, order_clerk: object) -> None:
    post_webhook(shop.north_pos, b"not json")
    letter = DeadLetter.objects.get()

    response = client.get(reverse("web:dead_letter_replay", args=[letter.pk]))

    assert response.status_code == 405
