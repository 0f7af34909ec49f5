"""An agent's day in a real browser (keeping to the Content-Security-Policy): the inbox, a
customer's e-mail beside their orders, a canned reply filled from the order and sent, a
search by the last digits of a phone, a phone call logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from omnioms.core.roles import Role

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests",
        allow_module_level=True,
    )

from omnioms.core.actor import Actor  # noqa: E402
from omnioms.service import services  # noqa: E402
from omnioms.service.models import CannedReply, Message, Ticket  # noqa: E402
from omnioms.service.tests.factories import customer_mail, order_for  # noqa: E402
from omnioms.testing import record_shipment  # noqa: E402
from omnioms.web.tests.factories import PASSWORD, make_user  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_agent_answers_a_customer_with_the_order_beside_the_conversation(
    page: Page, live_server: object
) -> None:
    order = order_for(external_id="WEB-1001")
    record_shipment(order, "SF Express", "SF1234567890", Actor.system())
    ticket = customer_mail("Where is my order WEB-1001?", sender="sam@example.com")
    agent = make_user("amy", Role.CUSTOMER_SERVICE)
    services.change_ticket(ticket.pk, actor=Actor.system(), assignee_id=agent.pk)
    CannedReply.objects.create(
        title="Tracking", language="en", body="Your order {order_number}: {tracking_link}"
    )
    base = str(live_server)
    page.goto(f"{base}/login/")
    page.get_by_label("Username").fill("amy")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.get_by_role("link", name="Service").click()
    expect(page.get_by_role("heading", name="Customer service inbox")).to_be_visible()
    page.get_by_role("link", name=ticket.number).click()

    expect(page.locator(".thread")).to_contain_text("Where is my order WEB-1001?")
    expect(page.locator("#orders-head + .order-card, .order-card").first).to_contain_text(
        "WEB-1001"
    )
    expect(page.get_by_role("link", name="SF1234567890")).to_be_visible()
    page.get_by_role("button", name="Tracking (en)").click()
    expect(page.locator("textarea.reply")).to_have_value(
        "Your order WEB-1001: https://www.sf-express.com/chn/sc/waybill/waybill-detail/SF1234567890"
    )
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".message-success")).to_contain_text("Answer queued")
    expect(page.locator(".msg-outbound")).to_contain_text("SF1234567890")
    assert Message.objects.filter(direction="outbound", delivery="queued").count() == 1

    page.get_by_role("link", name="Search").first.click()
    page.get_by_label("Phone (any format or its last digits)", exact=False).fill("8000")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main")).to_contain_text("WEB-1001")

    page.get_by_role("link", name="Log a call or visit").click()
    page.get_by_label("Contact").select_option("phone")
    page.get_by_label("Order number").fill("WEB-1001")
    page.get_by_label("What the customer said").fill("Called: parcel arrived, thanks")
    page.get_by_role("button", name="Log it").click()
    expect(page.locator(".message-success")).to_contain_text("Logged as")
    assert Ticket.objects.count() == 2
