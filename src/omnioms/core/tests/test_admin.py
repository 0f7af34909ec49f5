"""The Django admin as the back office: every page opens, secrets stay hidden, records stay
read-only, and the few writes go through the services."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import translation

from omnioms.api.models import ApiToken
from omnioms.api.services import create_token
from omnioms.catalog.models import ChannelSkuMapping
from omnioms.catalog.services import ComponentSpec, create_product
from omnioms.channels.models import (
    ChannelAccount,
    DeadLetter,
    InboundPayload,
    OutboundCommand,
    SyncState,
)
from omnioms.core.choices import OrderStatus
from omnioms.core.jobs import execute_job
from omnioms.core.models import Job
from omnioms.core.roles import Role
from omnioms.floor.tests.factories import one_of_each_floor
from omnioms.inventory.tests.factories import one_of_each
from omnioms.orders.models import Order, OrderEvent, OrderEventKind
from omnioms.production.tests.factories import one_of_each_master
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, make_location, make_user, manual_order, signed

pytestmark = pytest.mark.django_db

SECRET = "whsec-do-not-show-7f3a"


def url(model: type[Any], view: str, *args: Any) -> str:
    meta = model._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=args)


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would post back from an admin change page, unchanged."""
    forms_on_page = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms_on_page += [inline.formset.management_form, *inline.formset.forms]
    data: dict[str, Any] = {}
    for form in forms_on_page:
        for field in form:
            if field.field.disabled:
                continue
            value, widget = field.value(), field.field.widget
            if isinstance(widget, forms.MultiWidget):
                parts = zip(widget.widgets, widget.decompress(value) or [], strict=False)
                for index, (sub, part) in enumerate(parts):
                    text = "" if part is None else sub.format_value(part)
                    data[f"{field.html_name}_{index}"] = text
            elif isinstance(widget, forms.CheckboxInput):
                if value:
                    data[field.html_name] = "on"
            elif isinstance(value, list | tuple):
                data[field.html_name] = [str(getattr(item, "pk", item)) for item in value]
            else:
                data[field.html_name] = "" if value is None else field.field.prepare_value(value)
    return data


@pytest.fixture
def administrator(client: Client) -> User:
    user = make_user(Role.ADMINISTRATOR)
    client.force_login(user)
    return user


@pytest.fixture
def account() -> ChannelAccount:
    make_location("north")
    return make_account("shop", secret=SECRET, location_code="north")


def dead_letter_from_bad_currency(account: ChannelAccount) -> DeadLetter:
    """A payload that fails only because the account's default currency is broken."""
    ChannelAccount.objects.filter(pk=account.pk).update(default_currency="rmb")
    account.refresh_from_db()
    order = manual_order("BAD-1")
    del order["currency"]
    receive_webhook(account, **signed(order, secret=SECRET))
    return DeadLetter.objects.get()


def test_an_administrator_can_open_the_list_and_change_page_of_every_registered_model(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    create_product(sku="QH-TS-BLK-L", name="T-shirt black L")
    create_product(sku="QH-CAP", name="Cap")
    create_product(
        sku="QH-SET",
        name="T-shirt and cap",
        components=[ComponentSpec("QH-TS-BLK-L", 1), ComponentSpec("QH-CAP", 1)],
    )
    ChannelSkuMapping.objects.create(
        account=account, external_sku="TS-L", sku_id=create_product(sku="X-1", name="X").pk
    )
    receive_webhook(account, **signed(manual_order("A-1"), secret=SECRET))
    dead_letter_from_bad_currency(account)
    create_token(administrator, name="ci")
    SyncState.objects.create(account=account)
    one_of_each()  # every stock model
    one_of_each_master()  # every production model
    one_of_each_floor()  # every floor model
    OutboundCommand.objects.create(
        account=account, order=Order.objects.get(external_id="A-1"), kind="mark_shipped"
    )
    Client().post(reverse("web:login"), {"username": "nobody", "password": "x"})  # AccessAttempt
    execute_job.enqueue(Job.objects.create(kind="tests.none").pk)  # a Job and its task row

    assert len(admin.site._registry) >= 12
    for model, model_admin in admin.site._registry.items():
        name = model._meta.label
        listing = client.get(url(model, "changelist"))
        assert listing.status_code == 200, name
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"make a {name} in this test"
        page = client.get(url(model, "change", obj.pk))
        assert page.status_code == 200, name
        if model_admin.has_add_permission(listing.wsgi_request):
            assert client.get(url(model, "add")).status_code == 200, name


def test_the_order_pages_show_lines_events_and_channel_labels(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    receive_webhook(account, **signed(manual_order("A-1"), secret=SECRET))
    order = Order.objects.get()

    listing = client.get(url(Order, "changelist")).content.decode()
    page = client.get(url(Order, "change", order.pk)).content.decode()

    assert "A-1" in listing
    assert "Manual entry" in listing
    assert "T恤 颜色:黑色;尺码:L" in page
    assert "Order received" in page


def test_order_search_finds_an_external_id_and_the_start_of_a_buyer_name(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    receive_webhook(account, **signed(manual_order("A-1"), secret=SECRET))
    receive_webhook(account, **signed(manual_order("B-2", buyer={"name": "李雷"}), secret=SECRET))

    def found(term: str) -> list[str]:
        response = client.get(url(Order, "changelist"), {"q": term})
        return [o.external_id for o in response.context["cl"].result_list]

    assert found("A-1") == ["A-1"]
    assert found("王小") == ["A-1"]
    assert found("李雷") == ["B-2"]
    assert found("-1") == []


def test_the_account_pages_never_contain_a_secret(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(
        previous_webhook_secret="old-secret-9c1d", api_credentials={"token": "api-secret-2b8e"}
    )

    listing = client.get(url(ChannelAccount, "changelist")).content.decode()
    page = client.get(url(ChannelAccount, "change", account.pk)).content.decode()

    for secret in (SECRET, "old-secret-9c1d", "api-secret-2b8e"):
        assert secret not in listing
        assert secret not in page
    assert 'type="password"' in page
    assert "icon-yes.svg" in listing  # the "webhook secret set" column


def test_saving_the_account_with_empty_secrets_keeps_the_stored_ones(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    ChannelAccount.objects.filter(pk=account.pk).update(previous_webhook_secret="old-secret")
    change = url(ChannelAccount, "change", account.pk)
    data = form_data(client.get(change))
    assert data["webhook_secret"] == ""
    data["display_name"] = "North shop"

    response = client.post(change, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    account.refresh_from_db()
    assert account.display_name == "North shop"
    assert (account.webhook_secret, account.previous_webhook_secret) == (SECRET, "old-secret")


def test_a_new_secret_replaces_the_old_one_which_can_stay_valid_until_cleared(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    change = url(ChannelAccount, "change", account.pk)
    data = form_data(client.get(change))

    client.post(change, {**data, "webhook_secret": "rotated", "keep_replaced_secret": "on"})
    account.refresh_from_db()
    assert (account.webhook_secret, account.previous_webhook_secret) == ("rotated", SECRET)

    client.post(change, {**data, "clear_previous_webhook_secret": "on"})
    account.refresh_from_db()
    assert (account.webhook_secret, account.previous_webhook_secret) == ("rotated", "")


def test_an_account_form_with_a_bad_time_zone_is_refused(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    change = url(ChannelAccount, "change", account.pk)
    data = form_data(client.get(change))

    response = client.post(change, {**data, "time_zone": "Mars/Olympus"})

    assert response.status_code == 200
    assert "time_zone" in response.context["adminform"].form.errors
    assert SECRET not in response.content.decode()


def test_a_payload_cannot_be_added_changed_or_deleted(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    receive_webhook(account, **signed(manual_order("A-1"), secret=SECRET))
    payload = InboundPayload.objects.get()
    payload_admin = admin.site._registry[InboundPayload]

    page = client.get(url(InboundPayload, "change", payload.pk))
    request = page.wsgi_request
    assert not payload_admin.has_add_permission(request)
    assert not payload_admin.has_change_permission(request, payload)
    assert not payload_admin.has_delete_permission(request, payload)
    assert "&quot;external_id&quot;: &quot;A-1&quot;" in page.content.decode()  # indented JSON
    assert 'name="_save"' not in page.content.decode()

    before = bytes(payload.body)
    assert client.post(url(InboundPayload, "change", payload.pk), {"topic": "x"}).status_code == 403
    delete = url(InboundPayload, "delete", payload.pk)
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert client.get(url(InboundPayload, "add")).status_code == 403
    payload.refresh_from_db()
    assert (bytes(payload.body), payload.topic) == (before, "")


def test_a_payload_body_that_is_not_json_is_shown_as_text(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    receive_webhook(account, **signed(b"<not json \xff>", secret=SECRET))
    payload = InboundPayload.objects.get()

    page = client.get(url(InboundPayload, "change", payload.pk)).content.decode()

    assert "&lt;not json \ufffd&gt;" in page


def test_the_replay_action_resolves_a_dead_letter_once_the_cause_is_fixed(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    letter = dead_letter_from_bad_currency(account)
    action = {"action": "replay_selected", "_selected_action": [letter.pk]}
    changelist = url(DeadLetter, "changelist")

    response = client.post(changelist, action, follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[0] == "1 dead letter still fails."
    assert texts[1].startswith(f"Dead letter {letter.pk} still fails: ")
    assert "currency" in texts[1]
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (2, None)

    ChannelAccount.objects.filter(pk=account.pk).update(default_currency="CNY")
    response = client.post(changelist, action, follow=True)
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == ["1 dead letter replayed and resolved."]
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert Order.objects.get().currency == "CNY"


def test_replaying_a_dead_letter_whose_platform_is_gone_reports_it_instead_of_failing(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    letter = dead_letter_from_bad_currency(account)
    ChannelAccount.objects.filter(pk=account.pk).update(platform="gone")

    response = client.post(
        url(DeadLetter, "changelist"),
        {"action": "replay_selected", "_selected_action": [letter.pk]},
        follow=True,
    )

    assert response.status_code == 200
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts[1].startswith(f"Dead letter {letter.pk} cannot be replayed: ")
    letter.refresh_from_db()
    assert (letter.attempts, letter.resolved_at) == (1, None)


def test_staff_without_the_replay_permission_get_no_replay_action(
    client: Client, account: ChannelAccount
) -> None:
    letter = dead_letter_from_bad_currency(account)
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_deadletter"))
    client.force_login(viewer)
    changelist = url(DeadLetter, "changelist")

    assert "replay_selected" not in client.get(changelist).content.decode()
    client.post(changelist, {"action": "replay_selected", "_selected_action": [letter.pk]})
    letter.refresh_from_db()
    assert letter.attempts == 1


def test_an_order_takes_a_note_through_its_history_and_ignores_a_posted_status(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    receive_webhook(account, **signed(manual_order("A-1"), secret=SECRET))
    order = Order.objects.get()
    change = url(Order, "change", order.pk)
    data = form_data(client.get(change))

    response = client.post(
        change, {**data, "note": "Customer called", "status": OrderStatus.CANCELLED}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    note = OrderEvent.objects.get(order=order, kind=OrderEventKind.NOTE)
    assert (note.data, note.actor_user_id) == ({"text": "Customer called"}, administrator.pk)
    assert client.get(url(Order, "delete", order.pk)).status_code == 403


def test_a_store_clerks_store_is_set_on_the_user_page(client: Client, administrator: User) -> None:
    north, south = make_location("north"), make_location("south")
    clerk = make_user(Role.STORE_CLERK, store="north")
    change = url(User, "change", clerk.pk)
    data = form_data(client.get(change))
    assert data["staff_profile-0-store"] == north.pk

    response = client.post(change, {**data, "staff_profile-0-store": south.pk})

    assert response.status_code == 302
    clerk.staff_profile.refresh_from_db()
    assert clerk.staff_profile.store == south


def test_a_token_is_revoked_by_the_action_and_its_text_is_never_shown(
    client: Client, administrator: User
) -> None:
    text = create_token(administrator, name="ci")
    token = ApiToken.objects.get()

    listing = client.get(url(ApiToken, "changelist")).content.decode()
    page = client.get(url(ApiToken, "change", token.pk)).content.decode()
    for shown in (listing, page):
        assert text not in shown
        assert token.key_hash not in shown
    assert token.prefix in listing
    assert client.get(url(ApiToken, "add")).status_code == 403

    client.post(
        url(ApiToken, "changelist"), {"action": "revoke_selected", "_selected_action": [token.pk]}
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_a_non_staff_order_clerk_is_sent_to_the_admin_login(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))

    for path in (reverse("admin:index"), url(Order, "changelist")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_the_back_office_speaks_chinese(
    client: Client, administrator: User, account: ChannelAccount
) -> None:
    dead_letter_from_bad_currency(account)

    with translation.override("en"):  # the request leaves its language active in the thread
        page = client.get(url(DeadLetter, "changelist"), headers={"accept-language": "zh-hans"})

    text = page.content.decode()
    assert "omnioms 后台" in text
    assert "重放所选死信" in text
