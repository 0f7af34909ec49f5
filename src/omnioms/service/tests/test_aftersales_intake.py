"""After-sales pushes arrive like orders: signed, stored first, deduplicated, dead-lettered
when unreadable, and open a ticket tied to the order and lines they name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
from omnioms.orders.models import Order
from omnioms.service.intake import process_received, replay_dead_letter
from omnioms.service.models import (
    InboundItem,
    ItemOutcome,
    ServiceDeadLetter,
    Ticket,
    TicketStatus,
    TicketType,
)
from omnioms.sync.webhooks import receive_webhook
from omnioms.testing import make_account, signed

pytestmark = pytest.mark.django_db
HERE = Path(__file__).parent
CHANNEL_FIXTURES = HERE.parents[1] / "channels" / "tests" / "fixtures"


def fixture(name: str) -> bytes:
    return (HERE / "fixtures" / name).read_bytes()


@pytest.fixture
def tmall_order() -> Order:
    account = make_account("tmall-flagship", platform="taobao")
    body = (CHANNEL_FIXTURES / "taobao" / "trade_fullinfo_paid_gift.json").read_bytes()
    receive_webhook(account, **signed(body))
    return Order.objects.get(account=account, external_id="3712845069123456789")


def push(client: Client, account: str, body: bytes, secret: str = "s3cret") -> Any:  # noqa: S107
    return client.post(
        f"/api/v1/service/aftersales/{account}",
        body,
        content_type="application/json",
        headers={GENERIC_SIGNATURE_HEADER: hmac_sha256_base64(secret, body)},
    )


def test_a_tmall_refund_request_opens_a_ticket_on_the_order_and_line(
    client: Client, tmall_order: Order
) -> None:
    answer = push(client, "tmall-flagship", fixture("taobao/tmc_refund_created.json"))
    assert answer.status_code == 200
    assert process_received() == 1

    ticket = Ticket.objects.get()
    assert ticket.ticket_type == TicketType.REFUND
    assert ticket.channel == "taobao"
    assert ticket.customer_id == tmall_order.customer_id
    assert ticket.external_ref == "179834512345678901"
    (link,) = ticket.order_links.select_related("line")
    assert link.line is not None
    assert (link.order_id, link.line.external_line_id) == (
        tmall_order.pk,
        "3712845069124456789",
    )
    assert "136.00" in ticket.conversations.get().messages.get().body


def test_the_same_push_twice_opens_one_ticket(client: Client, tmall_order: Order) -> None:
    body = fixture("taobao/tmc_refund_created.json")
    push(client, "tmall-flagship", body)
    again = push(client, "tmall-flagship", body)
    process_received()

    assert again.json()["outcome"] == ItemOutcome.DUPLICATE
    assert Ticket.objects.count() == 1
    assert InboundItem.objects.count() == 2  # the repeat is kept, and changes nothing


def test_a_later_report_of_the_same_request_adds_to_its_ticket_and_can_solve_it(
    client: Client, tmall_order: Order
) -> None:
    push(client, "tmall-flagship", fixture("taobao/tmc_refund_created.json"))
    message = json.loads(fixture("taobao/tmc_refund_created.json"))
    message["topic"] = "taobao_refund_RefundSuccess"
    message["content"] = message["content"].replace("21:14:02", "23:00:00")
    push(client, "tmall-flagship", json.dumps(message).encode())
    process_received()

    ticket = Ticket.objects.get()
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.conversations.get().messages.count() == 2


def test_a_return_carries_the_platforms_deadline_as_a_due_time(
    client: Client, tmall_order: Order
) -> None:
    push(client, "tmall-flagship", fixture("taobao/refund_get_return.json"))
    process_received()

    ticket = Ticket.objects.get()
    assert ticket.ticket_type == TicketType.RETURN
    assert ticket.platform_due_at is not None
    assert ticket.platform_due_at.isoformat() == "2026-12-07T14:01:40+00:00"


def test_a_push_with_a_wrong_signature_is_refused_and_stores_nothing(
    client: Client, tmall_order: Order
) -> None:
    answer = push(client, "tmall-flagship", fixture("taobao/tmc_refund_created.json"), "wrong")

    assert answer.status_code == 401
    assert InboundItem.objects.count() == 0


def test_an_unknown_account_gets_the_same_refusal(client: Client) -> None:
    answer = push(client, "nobody", b"{}")

    assert answer.status_code == 401


def test_an_unreadable_push_is_kept_as_a_dead_letter_with_its_reason(
    client: Client, tmall_order: Order
) -> None:
    body = fixture("taobao/tmc_refund_bad_content.json")
    assert push(client, "tmall-flagship", body).status_code == 200
    process_received()

    letter = ServiceDeadLetter.objects.get()
    assert "content" in letter.reason
    assert bytes(letter.item.body) == body
    assert Ticket.objects.count() == 0


def test_a_dead_letter_replayed_after_a_fix_opens_its_ticket(
    client: Client, tmall_order: Order
) -> None:
    """A request for an order that had not arrived yet still opens a ticket; one whose
    content could not be read opens it once the adapter reads it (here: the body fixed)."""
    push(client, "tmall-flagship", fixture("taobao/tmc_refund_bad_content.json"))
    process_received()
    letter = ServiceDeadLetter.objects.get()
    InboundItem.objects.filter(pk=letter.item_id).update(
        body=fixture("taobao/tmc_refund_created.json")
    )

    assert replay_dead_letter(letter.pk) == ItemOutcome.OPENED
    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert Ticket.objects.count() == 1


def test_a_douyin_push_gets_the_answer_douyin_expects(client: Client) -> None:
    make_account("douyin-shop", platform="douyin", secret="key1:secret1")
    body = fixture("douyin/push_aftersale_created.json")
    import hashlib

    sign = hashlib.md5(b"key1" + body + b"secret1", usedforsecurity=False).hexdigest()

    answer = client.post(
        "/api/v1/service/aftersales/douyin-shop",
        body,
        content_type="application/json",
        headers={"event-sign": sign, "app-id": "key1"},
    )
    process_received()

    assert answer.json() == {"code": 0, "msg": "success"}
    ticket = Ticket.objects.get()
    assert ticket.external_ref == "7352016483959341312"
    assert not ticket.order_links.exists()  # the order has not arrived; the ticket still opens


def refund_push(n: int) -> bytes:
    content = json.dumps(
        {
            "refund_id": 900000000 + n,
            "tid": 3712845069123456789,
            "oid": 3712845069124456789,
            "refund_fee": "12.00",
            "bill_type": "refund_bill",
            "buyer_open_uid": f"u{n}",
            "modified": "2026-12-05 21:14:02",
        }
    )
    message = {"topic": "taobao_refund_RefundCreated", "id": str(n), "content": content}
    return json.dumps(message).encode()


@pytest.mark.parametrize("pushes", [5, 20])
def test_a_batch_of_refund_requests_opens_each_ticket_in_a_dozen_queries(
    client: Client, tmall_order: Order, pushes: int
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from omnioms.core.roles import Role
    from omnioms.service.models import AssignmentRule, SearchEntry, SlaPolicy, Team
    from omnioms.testing import make_user

    policy = SlaPolicy.objects.create(
        name="Refunds", ticket_type="refund", first_response_minutes=60
    )
    team = Team.objects.create(name="After-sales")
    agents = [make_user(Role.CUSTOMER_SERVICE) for _ in range(2)]
    team.members.set(agents)
    AssignmentRule.objects.create(channel="taobao", team=team)
    for n in range(pushes):
        assert push(client, "tmall-flagship", refund_push(n)).status_code == 200

    with CaptureQueriesContext(connection) as queries:
        assert process_received() == pushes

    # Per ticket: two savepoints, the order and its lines, the ticket looked up, inserted and
    # saved once, its events, order link, conversation and message, the agent's turn and the
    # item's outcome; per batch: the items, policies, rules, members, the agents' states and
    # the search entries (it was about 26 per ticket).
    assert len(queries.captured_queries) <= 13 * pushes + 14
    tickets = list(Ticket.objects.order_by("pk"))
    assert len(tickets) == pushes
    assert {t.sla_policy_id for t in tickets} == {policy.pk}
    assert all(t.first_response_due is not None for t in tickets)
    assert {t.assignee_id for t in tickets} == {a.pk for a in agents}  # round robin
    assert [t.number for t in tickets] == [f"T-{t.pk:06d}" for t in tickets]
    assert SearchEntry.objects.filter(kind="ticket").count() == pushes
