"""The dead-letter list and replay after the cause is fixed."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.channels.models import DeadLetter, PayloadOutcome
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.web.tests.conftest import LoginAs, Shop
from omnioms.web.tests.factories import make_account, order_data, post_webhook


@pytest.fixture
def letters(shop: Shop) -> tuple[DeadLetter, DeadLetter]:
    post_webhook(shop.north_pos, b"this is not json")
    bad = order_data("S-1")
    bad["lines"][0]["unit_price"] = "abc"
    post_webhook(shop.south_pos, bad)
    first, second = DeadLetter.objects.order_by("pk")
    return first, second


@pytest.mark.django_db
def test_the_list_shows_open_dead_letters_newest_first_with_reason_and_raw_body(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: object
) -> None:
    response = client.get(reverse("web:dead_letter_list"))

    page = response.content.decode()
    assert [letter.pk for letter in response.context["page"]] == [letters[1].pk, letters[0].pk]
    assert "North POS" in page
    assert "South POS" in page
    assert "not valid JSON" in page
    assert "unit_price" in page
    assert "is not a number" in page
    assert "this is not json" in page
    assert "<details" in page
    assert page.count(">Replay</button>") == 2


@pytest.mark.django_db
def test_the_state_filter_separates_open_and_resolved_and_all_lists_open_first(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: object
) -> None:
    resolved, still_open = letters
    DeadLetter.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now())

    def shown(state: str) -> list[int]:
        response = client.get(reverse("web:dead_letter_list"), {"state": state})
        return [letter.pk for letter in response.context["page"]]

    assert shown("open") == [still_open.pk]
    assert shown("resolved") == [resolved.pk]
    assert shown("all") == [still_open.pk, resolved.pk]
    assert shown("bogus") == [still_open.pk]


@pytest.mark.django_db
def test_an_order_clerk_replays_a_dead_letter_after_fixing_the_account(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    # The account has no usable default currency, and the payload names none: dead-lettered.
    account = make_account("popup-store", location=shop.north, currency="")
    data = order_data("POP-1")
    del data["currency"]
    post_webhook(account, data)
    letter = DeadLetter.objects.get(account=account)
    assert "currency" in letter.reason
    assert not Order.objects.filter(external_id="POP-1").exists()

    failed = client.post(reverse("web:dead_letter_replay", args=[letter.pk]), follow=True)
    assert "still fails" in failed.content.decode()
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (2, None)

    account.default_currency = "CNY"
    account.save()
    response = client.post(
        reverse("web:dead_letter_replay", args=[letter.pk]),
        {"next": reverse("web:dead_letter_list") + "?state=all"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:dead_letter_list") + "?state=all"
    page = client.get(response["Location"]).content.decode()
    assert f"Dead letter {letter.pk} replayed: Created an order." in page
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert letter.payload.outcome == PayloadOutcome.CREATED
    order = Order.objects.get(account=account, external_id="POP-1")
    assert order.currency == "CNY"
    assert order.location == shop.north


@pytest.mark.django_db
def test_replay_ignores_a_next_address_on_another_site(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: object
) -> None:
    response = client.post(
        reverse("web:dead_letter_replay", args=[letters[0].pk]),
        {"next": "https://evil.example/"},
    )

    assert response["Location"] == reverse("web:dead_letter_list")


@pytest.mark.django_db
def test_replay_checks_the_csrf_token(
    shop: Shop, letters: tuple[DeadLetter, DeadLetter], login_as: LoginAs
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(login_as(Role.ORDER_CLERK))

    response = strict.post(reverse("web:dead_letter_replay", args=[letters[0].pk]))

    assert response.status_code == 403
    letters[0].refresh_from_db()
    assert letters[0].attempts == 1


@pytest.mark.django_db
def test_a_manager_may_replay_but_a_planner_may_not_see_dead_letters(
    client: Client, letters: tuple[DeadLetter, DeadLetter], login_as: LoginAs
) -> None:
    login_as(Role.MANAGER)
    assert client.get(reverse("web:dead_letter_list")).status_code == 200
    assert client.post(reverse("web:dead_letter_replay", args=[letters[0].pk])).status_code == 302

    login_as(Role.PLANNER)
    assert client.get(reverse("web:dead_letter_list")).status_code == 403
    assert client.post(reverse("web:dead_letter_replay", args=[letters[0].pk])).status_code == 403


# ----------------------------------------------------------------------------------------------
# Any stored body renders: deep, large, not JSON


DEEP = b"[" * 5000 + b"]" * 5000


@pytest.mark.django_db
def test_a_dead_letter_nested_thousands_of_levels_deep_shows_on_every_page(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    post_webhook(shop.north_pos, DEEP)
    letter = DeadLetter.objects.get()

    listing = client.get(reverse("web:dead_letter_list"))
    detail = client.get(reverse("web:dead_letter_detail", args=[letter.pk]))
    DeadLetter.objects.filter(pk=letter.pk).update(resolved_at=timezone.now())
    resolved = client.get(reverse("web:dead_letter_list"), {"state": "all"})

    for response in (listing, detail, resolved):
        assert response.status_code == 200
        assert "[\n  [\n    [" in response.content.decode()


@pytest.mark.django_db
def test_a_large_dead_letter_is_shown_cut_with_its_size_and_a_download_of_the_whole(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    raw = json.dumps({"lines": [{"sku": f"SKU-{n}"} for n in range(150_000)]}).encode()
    assert len(raw) > 3_000_000
    post_webhook(shop.north_pos, raw)
    letter = DeadLetter.objects.get()

    listing = client.get(reverse("web:dead_letter_list")).content.decode()
    detail = client.get(reverse("web:dead_letter_detail", args=[letter.pk])).content.decode()
    download = client.get(reverse("web:dead_letter_body", args=[letter.pk]))

    assert len(listing) < 60_000
    assert len(detail) < 300_000
    assert re.search(r"Showing the first 1\.\d\xa0KB of 3\.2\xa0MB\.", listing)
    assert re.search(r"Showing the first \d\d\.\d\xa0KB of 3\.2\xa0MB\.", detail)
    assert "&quot;sku&quot;: &quot;SKU-0&quot;" in detail
    assert download.status_code == 200
    assert download.content == raw
    assert download["Content-Type"] == "application/json"
    assert download["Content-Disposition"] == f'attachment; filename="dead-letter-{letter.pk}.json"'
    assert download["X-Content-Type-Options"] == "nosniff"


@pytest.mark.django_db
def test_a_download_never_takes_the_content_type_a_sender_made_up(
    client: Client, shop: Shop, order_clerk: object
) -> None:
    post_webhook(shop.north_pos, b"<script>alert(1)</script>", **{"Content-Type": "text/html"})
    post_webhook(shop.south_pos, b"not json", **{"Content-Type": "x\ty"})
    html, odd = DeadLetter.objects.order_by("pk")

    as_html = client.get(reverse("web:dead_letter_body", args=[html.pk]))
    as_odd = client.get(reverse("web:dead_letter_body", args=[odd.pk]))

    assert as_html["Content-Type"] == "text/html"
    assert as_html["Content-Disposition"].startswith("attachment;")
    assert as_odd["Content-Type"] == "application/octet-stream"
    assert as_odd["Content-Disposition"] == f'attachment; filename="dead-letter-{odd.pk}.bin"'


@pytest.mark.django_db
def test_only_those_who_see_dead_letters_open_or_download_one(
    client: Client, letters: tuple[DeadLetter, DeadLetter], login_as: LoginAs
) -> None:
    pk = letters[0].pk
    pages = [
        reverse("web:dead_letter_detail", args=[pk]),
        reverse("web:dead_letter_body", args=[pk]),
    ]

    assert [client.get(page).status_code for page in pages] == [302, 302]  # to the login page
    login_as(Role.PLANNER)
    assert [client.get(page).status_code for page in pages] == [403, 403]
    login_as(Role.MANAGER)
    assert [client.get(page).status_code for page in pages] == [200, 200]
    assert client.get(reverse("web:dead_letter_body", args=[10**9])).status_code == 404


# ----------------------------------------------------------------------------------------------
# Dismissing


@pytest.mark.django_db
def test_an_order_clerk_dismisses_a_dead_letter_saying_why(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: User
) -> None:
    letter, other = letters
    page = client.get(reverse("web:dead_letter_detail", args=[letter.pk])).content.decode()
    assert reverse("web:dead_letter_dismiss", args=[letter.pk]) in page

    response = client.post(
        reverse("web:dead_letter_dismiss", args=[letter.pk]), {"reason": "A test order"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("web:dead_letter_list")
    listing = client.get(response["Location"])
    assert f"Dead letter {letter.pk} dismissed." in listing.content.decode()
    assert [shown.pk for shown in listing.context["page"]] == [other.pk]
    dismissed = client.get(reverse("web:dead_letter_list"), {"state": "dismissed"})
    assert [shown.pk for shown in dismissed.context["page"]] == [letter.pk]
    assert "A test order" in dismissed.content.decode()
    detail = client.get(reverse("web:dead_letter_detail", args=[letter.pk])).content.decode()
    assert "Why it was dismissed:</strong> A test order" in detail
    assert reverse("web:dead_letter_dismiss", args=[letter.pk]) not in detail
    letter.refresh_from_db()
    assert letter.dismissed_by == order_clerk.username


@pytest.mark.django_db
def test_a_dismissal_without_a_reason_is_refused_on_the_page(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: object
) -> None:
    response = client.post(
        reverse("web:dead_letter_dismiss", args=[letters[0].pk]), {"reason": "  "}
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    letters[0].refresh_from_db()
    assert letters[0].state == "open"


@pytest.mark.django_db
def test_a_letter_that_is_not_open_is_not_dismissed(
    client: Client, letters: tuple[DeadLetter, DeadLetter], order_clerk: object
) -> None:
    DeadLetter.objects.filter(pk=letters[0].pk).update(resolved_at=timezone.now())

    response = client.post(
        reverse("web:dead_letter_dismiss", args=[letters[0].pk]), {"reason": "x"}, follow=True
    )

    assert f"Dead letter {letters[0].pk} is Resolved already; nothing was changed." in (
        response.content.decode()
    )
    letters[0].refresh_from_db()
    assert letters[0].dismissal_reason == ""
    missing = client.post(reverse("web:dead_letter_dismiss", args=[10**9]), {"reason": "x"})
    assert missing.status_code == 404


@pytest.mark.django_db
def test_the_roles_that_replay_may_dismiss_and_no_others(
    client: Client, letters: tuple[DeadLetter, DeadLetter], login_as: LoginAs
) -> None:
    dismiss = reverse("web:dead_letter_dismiss", args=[letters[0].pk])

    login_as(Role.SUPERVISOR)
    assert client.post(dismiss, {"reason": "x"}).status_code == 403
    login_as(Role.CUSTOMER_SERVICE)
    assert client.post(dismiss, {"reason": "x"}).status_code == 403
    login_as(Role.MANAGER)
    assert client.post(dismiss, {"reason": "x"}).status_code == 302
    letters[0].refresh_from_db()
    assert letters[0].state == "dismissed"


@pytest.mark.django_db
def test_dismissing_checks_the_csrf_token(
    shop: Shop, letters: tuple[DeadLetter, DeadLetter], login_as: LoginAs
) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(login_as(Role.ORDER_CLERK))

    response = strict.post(
        reverse("web:dead_letter_dismiss", args=[letters[0].pk]), {"reason": "x"}
    )

    assert response.status_code == 403
    letters[0].refresh_from_db()
    assert letters[0].state == "open"
