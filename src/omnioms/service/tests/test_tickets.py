"""Tickets: the agent's screen, replies and notes, changes with history, merging, tags,
assignment rules with round robin, phone calls and store visits, canned replies."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.service import services
from omnioms.service.models import (
    AgentState,
    AssignmentRule,
    CannedReply,
    ContactKind,
    Direction,
    Message,
    Team,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from omnioms.service.tests.factories import customer_mail, logged_in, order_for
from omnioms.testing import make_user, record_shipment

pytestmark = pytest.mark.django_db


def test_the_agents_screen_shows_the_conversation_and_every_order_of_the_customer(
    client: Client,
) -> None:
    web = order_for(email="sam@example.com", external_id="WEB-1001")
    store = order_for(email="sam@example.com", external_id="POS-77")
    record_shipment(web, "SF Express", "SF1234567890", Actor.system())
    ticket = customer_mail("Where is WEB-1001?", sender="sam@example.com")
    logged_in(client, Role.CUSTOMER_SERVICE)

    page = client.get(reverse("service:ticket", args=[ticket.pk])).content.decode()

    assert "Where is WEB-1001?" in page
    assert "WEB-1001" in page
    assert "POS-77" in page
    assert "SF1234567890" in page
    assert "https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890" in page
    assert ticket.customer_id == web.customer_id == store.customer_id


def test_an_agent_without_the_service_role_cannot_open_a_ticket(client: Client) -> None:
    ticket = customer_mail()
    logged_in(client, Role.PLANNER)

    assert client.get(reverse("service:ticket", args=[ticket.pk])).status_code == 403


def test_a_reply_and_a_note_from_the_screen(client: Client) -> None:
    ticket = customer_mail()
    logged_in(client, Role.CUSTOMER_SERVICE)
    url = reverse("service:answer", args=[ticket.pk])

    client.post(url, {"text": "It left today."})
    client.post(url, {"text": "Customer is upset", "note": "on"})

    directions = list(Message.objects.order_by("pk").values_list("direction", "delivery"))
    assert directions == [
        (Direction.INBOUND, ""),
        (Direction.OUTBOUND, "queued"),
        (Direction.NOTE, ""),
    ]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER


def test_a_reply_with_a_nul_character_is_refused_with_a_400(client: Client) -> None:
    ticket = customer_mail()
    logged_in(client, Role.CUSTOMER_SERVICE)

    answer = client.post(reverse("service:answer", args=[ticket.pk]), {"text": "a\x00b"})

    assert answer.status_code == 400
    assert Message.objects.count() == 1


def test_every_change_is_in_the_history_with_old_and_new(client: Client) -> None:
    ticket = customer_mail()
    agent = logged_in(client, Role.CUSTOMER_SERVICE)

    client.post(
        reverse("service:change", args=[ticket.pk]),
        {
            "status": "open",
            "priority": "urgent",
            "ticket_type": "complaint",
            "assignee": agent.pk,
            "tags": "破损, vip",
        },
    )

    changes = {
        e.data["field"]: (e.data["old"], e.data["new"])
        for e in TicketEvent.objects.filter(ticket=ticket, data__has_key="field")
    }
    assert changes == {
        "status": ("new", "open"),
        "priority": ("normal", "urgent"),
        "ticket_type": ("question", "complaint"),
        "assignee_id": (None, agent.pk),
        "tags": ([], ["vip", "破损"]),
    }


def test_merging_moves_the_conversation_and_closes_the_merged_ticket(client: Client) -> None:
    first = customer_mail("My cup broke", sender="li@example.cn")
    second = customer_mail("Also the lid", sender="li@example.cn")
    logged_in(client, Role.CUSTOMER_SERVICE)

    client.post(reverse("service:merge", args=[second.pk]), {"into": first.number})

    second.refresh_from_db()
    assert second.status == TicketStatus.CLOSED
    assert second.merged_into_id == first.pk
    assert Message.objects.filter(conversation__ticket=first).count() == 2


def test_a_message_on_a_solved_ticket_reopens_it_and_counts_the_reopen() -> None:
    ticket = customer_mail(thread="<t1@example.com>")
    services.change_ticket(ticket.pk, actor=Actor.system(), status=TicketStatus.SOLVED)

    again = customer_mail("Still broken", thread="<t1@example.com>")

    assert again.pk == ticket.pk
    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (TicketStatus.OPEN, 1)


def test_a_message_on_a_closed_ticket_opens_a_new_one() -> None:
    ticket = customer_mail(thread="<t2@example.com>")
    services.change_ticket(ticket.pk, actor=Actor.system(), status=TicketStatus.CLOSED)

    again = customer_mail("Hello again", thread="<t2@example.com>")

    assert again.pk != ticket.pk


def test_rules_send_tickets_to_a_team_and_round_robin_among_its_available_agents() -> None:
    team = Team.objects.create(name="E-mail")
    ann, bob, cat = (make_user(Role.CUSTOMER_SERVICE, username=n) for n in ("ann", "bob", "cat"))
    team.members.set([ann, bob, cat])
    AgentState.objects.create(user=cat, available=False)
    AssignmentRule.objects.create(channel="email", team=team)

    assignees = [customer_mail(sender=f"c{i}@example.com").assignee for i in range(4)]

    assert [a.username if a else None for a in assignees] == ["ann", "bob", "ann", "bob"]


def test_a_rule_on_language_wins_over_a_later_catch_all() -> None:
    chinese = Team.objects.create(name="中文")
    everyone = Team.objects.create(name="All")
    AssignmentRule.objects.create(position=1, language="zh-hans", team=chinese)
    AssignmentRule.objects.create(position=2, team=everyone)

    ticket = customer_mail("我的包裹在哪里？")
    other = customer_mail("Where is my parcel?")

    assert (ticket.team, other.team) == (chinese, everyone)


def test_a_phone_call_is_logged_on_the_customer_of_the_order_named(client: Client) -> None:
    order = order_for(external_id="WEB-2002")
    logged_in(client, Role.CUSTOMER_SERVICE)

    answer = client.post(
        reverse("service:log_contact"),
        {"kind": "phone", "order": "WEB-2002", "ticket_type": "delivery", "text": "Parcel late"},
    )

    ticket = Ticket.objects.get()
    assert answer.status_code == 302
    assert ticket.customer_id == order.customer_id
    assert ticket.channel == "phone"
    assert ticket.order_links.get().order_id == order.pk
    assert Message.objects.get().contact_kind == ContactKind.PHONE


def test_a_phone_call_is_found_by_the_customers_phone_in_another_format(
    client: Client,
) -> None:
    order = order_for(external_id="WEB-3003")
    logged_in(client, Role.CUSTOMER_SERVICE)

    client.post(
        reverse("service:log_contact"),
        {
            "kind": "store_visit",
            "customer": "138 0013 8000",
            "ticket_type": "return",
            "text": "Came to return a cup",
        },
    )

    assert Ticket.objects.get().customer_id == order.customer_id


def test_canned_replies_are_filled_from_the_order_in_both_languages(client: Client) -> None:
    order = order_for(external_id="WEB-4004")
    record_shipment(order, "UPS", "1Z999AA10123456784", Actor.system())
    ticket = customer_mail("Where?", sender="sam@example.com")
    services.link_order(ticket.pk, order.pk, actor=Actor.system())
    CannedReply.objects.create(
        title="Tracking", language="en", body="Order {order_number} is on its way: {tracking_link}"
    )
    CannedReply.objects.create(
        title="物流", language="zh-hans", body="您的订单{order_number}已发货，物流：{tracking_link}"
    )
    logged_in(client, Role.CUSTOMER_SERVICE)

    page = client.get(reverse("service:ticket", args=[ticket.pk])).content.decode()

    assert (
        "Order WEB-4004 is on its way: https://www.ups.com/track?tracknum=1Z999AA10123456784"
        in page
    )
    assert (
        "您的订单WEB-4004已发货，物流：https://www.ups.com/track?tracknum=1Z999AA10123456784"
        in page
    )


def test_the_inbox_shows_my_tickets_with_their_time_left(client: Client) -> None:
    agent = logged_in(client, Role.CUSTOMER_SERVICE)
    ticket = customer_mail()
    services.change_ticket(ticket.pk, actor=Actor.system(), assignee_id=agent.pk)

    page = client.get(reverse("service:inbox")).content.decode()

    assert ticket.number in page


def test_an_order_another_store_owns_cannot_be_added_to_a_ticket(client: Client) -> None:
    ticket = customer_mail()
    Order.objects.all().delete()
    logged_in(client, Role.CUSTOMER_SERVICE)

    answer = client.post(reverse("service:link_order", args=[ticket.pk]), {"order": "NOPE"})

    assert answer.status_code == 400
    assert "No order you can see has that number." in answer.content.decode()


def test_a_refund_from_the_ticket_goes_through_the_orders_flow_and_is_in_the_history(
    client: Client,
) -> None:
    order = order_for(external_id="WEB-5005")
    ticket = customer_mail("Please refund", sender="sam@example.com")
    services.link_order(ticket.pk, order.pk, actor=Actor.system())
    logged_in(client, Role.MANAGER)
    page = client.get(reverse("service:ticket", args=[ticket.pk])).content.decode()
    assert 'name="action" value="refund"' in page

    answer = client.post(
        reverse("service:order_action", args=[ticket.pk, order.pk]),
        {
            "action": "refund",
            "stage": order.stage,
            "lines-#1": "2",
            "amount": "188.00",
            "reason": "broken",
        },
    )

    assert answer.status_code == 302
    order.refresh_from_db()
    assert order.status == "refunded"
    event = TicketEvent.objects.get(ticket=ticket, kind="order_action")
    assert (event.data["order"], event.data["action"]) == (order.pk, "refund")


def test_an_agent_whose_role_may_not_refund_sees_no_button_and_cannot_post_one(
    client: Client,
) -> None:
    order = order_for(external_id="WEB-6006")
    ticket = customer_mail("Please refund", sender="sam@example.com")
    logged_in(client, Role.CUSTOMER_SERVICE)

    page = client.get(reverse("service:ticket", args=[ticket.pk])).content.decode()
    client.post(
        reverse("service:order_action", args=[ticket.pk, order.pk]),
        {"action": "refund", "amount": "1", "reason": "x", "lines-#1": "1"},
    )

    assert 'name="action" value="refund"' not in page
    order.refresh_from_db()
    assert order.status == "paid"
    assert not TicketEvent.objects.filter(kind="order_action").exists()
