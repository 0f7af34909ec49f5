"""Dead letters through the API, the back office and the command line: bodies of any size
and depth, and dismissing a letter with a reason."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.channels.models import (
    REASON_LIMIT,
    ChannelAccount,
    DeadLetter,
    DeadLetterState,
    InboundPayload,
)
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.sync.api import API_BODY_LIMIT
from omnioms.sync.health import channel_health
from omnioms.sync.services import (
    DeadLetterClosed,
    dismiss_dead_letter,
    open_dead_letter_ids,
    replay_dead_letter,
)
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import api_as, make_account, make_user, manual_order, signed

pytestmark = pytest.mark.django_db

DEEP = b"[" * 5000 + b"]" * 5000


def dead_letter(body: bytes, **headers: str) -> DeadLetter:
    receive_webhook(make_account(f"shop-{DeadLetter.objects.count()}"), **signed(body, **headers))
    return DeadLetter.objects.latest("pk")


def test_a_payload_with_thousands_of_problems_keeps_a_bounded_reason() -> None:
    letter = dead_letter(json.dumps({"lines": [{"sku": f"S-{n}"} for n in range(20_000)]}).encode())

    assert len(letter.reason) <= REASON_LIMIT
    assert letter.reason.startswith("external_id: Field required; status: Field required;")
    assert letter.reason.endswith(" more characters)")


def test_the_api_lists_a_large_body_cut_with_its_size_and_the_address_of_the_whole(
    client: Client,
) -> None:
    raw = json.dumps({"lines": ["x" * 100] * 20_000}).encode()
    letter = dead_letter(raw)
    api = api_as(client, Role.ORDER_CLERK)

    (item,) = api.get("/dead-letters").json()["items"]
    single = api.get(f"/dead-letters/{letter.pk}").json()
    whole = client.get(item["body_url"], headers=api.headers)

    assert item == single
    assert (item["body_size"], item["body_truncated"]) == (len(raw), True)
    assert item["body_shown"] == len(item["body"]) <= API_BODY_LIMIT
    assert raw.decode().startswith(item["body"])
    assert item["body_url"] == f"http://testserver/api/v1/dead-letters/{letter.pk}/body"
    assert whole.status_code == 200
    assert whole.content == raw
    assert whole["Content-Type"] == "application/json"
    assert whole["Content-Disposition"] == f'attachment; filename="dead-letter-{letter.pk}.json"'


def test_a_deep_body_is_listed_by_the_api_as_it_was_sent(client: Client) -> None:
    dead_letter(DEEP)

    (item,) = api_as(client, Role.ORDER_CLERK).get("/dead-letters").json()["items"]

    assert (item["body"], item["body_truncated"]) == (DEEP.decode(), False)


def test_only_those_who_see_dead_letters_read_their_bodies(client: Client) -> None:
    letter = dead_letter(b"not json")

    assert client.get(f"/api/v1/dead-letters/{letter.pk}/body").status_code == 401
    service = api_as(client, Role.CUSTOMER_SERVICE)
    assert service.get(f"/dead-letters/{letter.pk}/body").status_code == 403
    assert service.get(f"/dead-letters/{letter.pk}").status_code == 403
    clerk = api_as(client, Role.ORDER_CLERK)
    assert clerk.get(f"/dead-letters/{letter.pk + 1}/body").status_code == 404
    assert clerk.get(f"/dead-letters/{letter.pk + 1}").status_code == 404


def test_the_openapi_schema_describes_the_body_download(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()

    download = schema["paths"]["/api/v1/dead-letters/{letter_id}/body"]["get"]
    assert download["responses"]["200"]["content"]["*/*"]["schema"]["format"] == "binary"
    letter = schema["components"]["schemas"]["DeadLetterOut"]["properties"]
    assert {"body_size", "body_shown", "body_truncated", "body_url"} <= set(letter)


@pytest.mark.parametrize(
    "body", [DEEP, json.dumps({"lines": ["x" * 100] * 20_000}).encode()], ids=["deep", "large"]
)
def test_the_back_office_shows_any_stored_body(client: Client, body: bytes) -> None:
    letter = dead_letter(body)
    client.force_login(make_user(Role.ADMINISTRATOR))

    pages = [
        client.get(reverse("admin:channels_deadletter_changelist")),
        client.get(reverse("admin:channels_deadletter_change", args=[letter.pk])),
        client.get(reverse("admin:channels_inboundpayload_changelist")),
        client.get(reverse("admin:channels_inboundpayload_change", args=[letter.payload_id])),
    ]

    assert [page.status_code for page in pages] == [200] * 4
    assert all(len(page.content) < 400_000 for page in pages)
    assert reverse("web:dead_letter_body", args=[letter.pk]) in pages[1].content.decode()
    assert InboundPayload.objects.get().pk == letter.payload_id


# ----------------------------------------------------------------------------------------------
# Dismissing


def bad_currency_letter() -> DeadLetter:
    """A letter that replays cleanly once its account has a currency."""
    account = make_account("no-currency")
    ChannelAccount.objects.filter(pk=account.pk).update(default_currency="")
    account.refresh_from_db()
    order = manual_order("NC-1")
    del order["currency"]
    receive_webhook(account, **signed(order))
    return DeadLetter.objects.get(account=account)


def test_a_dismissed_letter_records_who_when_and_why_and_leaves_the_open_ones() -> None:
    letter = dead_letter(b"not json")
    kept = dead_letter(b"not json either")

    dismiss_dead_letter(letter.pk, reason="  a test order  ", actor=Actor.system("tests"))

    letter.refresh_from_db()
    assert letter.state == DeadLetterState.DISMISSED
    assert (letter.dismissed_by, letter.dismissal_reason) == ("tests", "a test order")
    assert letter.resolved_at == letter.dismissed_at is not None
    assert open_dead_letter_ids() == [kept.pk]
    assert channel_health().accounts[0].open_dead_letters == 0  # shop-0, the dismissed one's
    with pytest.raises(DeadLetterClosed):
        dismiss_dead_letter(letter.pk, reason="again", actor=Actor.system("tests"))


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_a_dismissal_needs_a_reason_of_reasonable_length(reason: str) -> None:
    letter = dead_letter(b"not json")

    with pytest.raises(ValueError, match=r"^reason: "):
        dismiss_dead_letter(letter.pk, reason=reason, actor=Actor.system("tests"))

    letter.refresh_from_db()
    assert letter.state == DeadLetterState.OPEN


def test_replaying_a_dismissed_letter_takes_the_dismissal_back() -> None:
    letter = bad_currency_letter()
    dismiss_dead_letter(letter.pk, reason="no currency, ignore", actor=Actor.system("tests"))

    replay_dead_letter(letter.pk, actor=Actor.system("tests"))  # still fails: open again
    letter.refresh_from_db()
    assert (letter.state, letter.dismissed_by, letter.dismissal_reason) == ("open", "", "")
    assert letter.attempts == 2

    dismiss_dead_letter(letter.pk, reason="no currency, ignore", actor=Actor.system("tests"))
    ChannelAccount.objects.filter(pk=letter.account_id).update(default_currency="CNY")
    replay_dead_letter(letter.pk, actor=Actor.system("tests"))  # now it reads: resolved
    letter.refresh_from_db()
    assert letter.state == DeadLetterState.RESOLVED
    assert letter.dismissed_at is None


def test_replay_all_leaves_dismissed_letters_alone(capsys: pytest.CaptureFixture[str]) -> None:
    from omnioms.cli import build_parser

    dismissed = bad_currency_letter()
    dismiss_dead_letter(dismissed.pk, reason="a test order", actor=Actor.system("tests"))
    still_open = dead_letter(b"not json")

    args = build_parser().parse_args(["replay", "--all"])
    assert args.func(args) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith(f"{still_open.pk}: still failing")
    dismissed.refresh_from_db()
    assert (dismissed.state, dismissed.attempts) == (DeadLetterState.DISMISSED, 1)


def test_the_api_dismisses_an_open_letter_with_a_reason(client: Client) -> None:
    letter = dead_letter(b"not json")
    api = api_as(client, Role.ORDER_CLERK)

    response = api.post(f"/dead-letters/{letter.pk}/dismiss", {"reason": "a test order"})
    again = api.post(f"/dead-letters/{letter.pk}/dismiss", {"reason": "a test order"})

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["dismissal_reason"]) == ("dismissed", "a test order")
    assert body["dismissed_by"].startswith("order_clerk")
    assert api.get("/dead-letters").json()["count"] == 0
    assert [item["id"] for item in api.get("/dead-letters", state="dismissed").json()["items"]] == [
        letter.pk
    ]
    assert api.get("/dead-letters", state="resolved").json()["count"] == 0
    assert again.status_code == 409
    assert again.json() == {
        "detail": f"dead letter {letter.pk} is dismissed, not open",
        "errors": [],
    }


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}])
def test_the_api_refuses_a_dismissal_without_a_reason_naming_the_field(
    client: Client, body: dict[str, str]
) -> None:
    letter = dead_letter(b"not json")

    response = api_as(client, Role.MANAGER).post(f"/dead-letters/{letter.pk}/dismiss", body)

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["reason"]
    letter.refresh_from_db()
    assert letter.state == DeadLetterState.OPEN


def test_only_the_roles_that_replay_dismiss_through_the_api(client: Client) -> None:
    letter = dead_letter(b"not json")
    reason = {"reason": "a test order"}

    assert (
        api_as(client, Role.CUSTOMER_SERVICE)
        .post(f"/dead-letters/{letter.pk}/dismiss", reason)
        .status_code
        == 403
    )
    assert (
        api_as(client, Role.SUPERVISOR)
        .post(f"/dead-letters/{letter.pk}/dismiss", reason)
        .status_code
        == 403
    )
    assert (
        api_as(client, Role.ORDER_CLERK)
        .post(f"/dead-letters/{letter.pk + 1}/dismiss", reason)
        .status_code
        == 404
    )
    assert (
        api_as(client, Role.MANAGER).post(f"/dead-letters/{letter.pk}/dismiss", reason).status_code
        == 200
    )


def test_the_admin_action_asks_why_then_dismisses_the_open_letters(client: Client) -> None:
    first, second = dead_letter(b"not json"), dead_letter(b"nor this")
    resolved = dead_letter(b"nor that")
    DeadLetter.objects.filter(pk=resolved.pk).update(resolved_at=timezone.now())
    client.force_login(make_user(Role.ADMINISTRATOR))
    changelist = reverse("admin:channels_deadletter_changelist")
    selected = {
        "action": "dismiss_selected",
        "_selected_action": [first.pk, second.pk, resolved.pk],
    }

    asked = client.post(changelist, selected)
    blank = client.post(changelist, {**selected, "apply": "1", "reason": " "})
    done = client.post(changelist, {**selected, "apply": "1", "reason": "test orders"}, follow=True)

    assert asked.status_code == blank.status_code == 200
    assert 'name="reason"' in asked.content.decode()
    assert "This field is required." in blank.content.decode()
    assert [str(m) for m in get_messages(done.wsgi_request)] == [
        "2 dead letters dismissed.",
        "1 dead letter was not open and was skipped.",
    ]
    states = dict(DeadLetter.objects.values_list("pk", "dismissal_reason"))
    assert states == {first.pk: "test orders", second.pk: "test orders", resolved.pk: ""}


def test_staff_without_the_dismiss_permission_get_no_dismiss_action(client: Client) -> None:
    letter = dead_letter(b"not json")
    viewer = User.objects.create_user("viewer", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_deadletter"))
    client.force_login(viewer)
    changelist = reverse("admin:channels_deadletter_changelist")

    assert "dismiss_selected" not in client.get(changelist).content.decode()
    client.post(
        changelist,
        {
            "action": "dismiss_selected",
            "_selected_action": [letter.pk],
            "apply": "1",
            "reason": "x",
        },
    )
    letter.refresh_from_db()
    assert letter.state == DeadLetterState.OPEN
