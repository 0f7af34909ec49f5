"""E-mail against real servers: a mailbox in Dovecot polled over IMAP, replies through an
SMTP server (aiosmtpd), threads kept by their message ids, attachments stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

import pytest

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.service import intake, outbox, services
from omnioms.service.models import (
    Attachment,
    Delivery,
    InboundItem,
    ItemOutcome,
    Message,
    ServiceDeadLetter,
    Source,
    SourceKind,
    Ticket,
    TicketStatus,
)
from omnioms.service.sources import mail
from omnioms.service.tests.mailservers import (
    ImapServer,
    SmtpServer,
    dovecot,
    imap_server,
    smtp_server,
)
from omnioms.testing import make_user

__all__ = ["dovecot", "imap_server", "smtp_server"]
pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "email"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture
def mailbox(imap_server: ImapServer, smtp_server: SmtpServer) -> Source:
    return Source.objects.create(
        name="support-mail",
        kind=SourceKind.EMAIL,
        settings={**imap_server.settings(), **smtp_server.settings()},
    )


def poll_and_process(source: Source) -> int:
    fetched = intake.poll_mailbox(source)
    intake.process_received()
    return fetched


def test_a_mail_in_the_mailbox_opens_a_ticket_with_its_attachment(
    imap_server: ImapServer, mailbox: Source
) -> None:
    imap_server.deliver(fixture("customer_question.eml"))

    assert poll_and_process(mailbox) == 1

    ticket = Ticket.objects.get()
    assert ticket.subject == "订单 3712845069123456789 的杯子碎了"
    assert ticket.channel == "email"
    assert ticket.language == "zh-hans"
    assert ticket.customer is not None
    assert ticket.customer.email == "li.hua@example.cn"
    message = Message.objects.get()
    assert message.body.startswith("你好，我的订单 3712845069123456789")
    assert message.external_id == "<20261205213000.4711@mail.example.cn>"
    attachment = Attachment.objects.get()
    assert (attachment.filename, attachment.content_type) == ("broken-cup.png", "image/png")
    assert bytes(attachment.data).startswith(b"\x89PNG")


def test_polling_again_fetches_only_new_mail(imap_server: ImapServer, mailbox: Source) -> None:
    imap_server.deliver(fixture("customer_question.eml"))
    poll_and_process(mailbox)

    assert poll_and_process(mailbox) == 0
    imap_server.deliver(fixture("html_only.eml"))
    assert poll_and_process(mailbox) == 1
    assert Ticket.objects.count() == 2


def test_a_renumbered_mailbox_is_read_again_without_opening_tickets_twice(
    imap_server: ImapServer, mailbox: Source
) -> None:
    imap_server.deliver(fixture("customer_question.eml"))
    poll_and_process(mailbox)
    mailbox.refresh_from_db()
    mailbox.poll_cursor = {"uidvalidity": "1", "last_uid": 99}
    mailbox.save()

    assert poll_and_process(mailbox) == 1

    assert Ticket.objects.count() == 1
    assert InboundItem.objects.filter(outcome=ItemOutcome.DUPLICATE).count() == 1


def test_the_agents_reply_goes_out_over_smtp_threaded_and_the_answer_continues_the_ticket(
    imap_server: ImapServer, smtp_server: SmtpServer, mailbox: Source
) -> None:
    imap_server.deliver(fixture("customer_question.eml"))
    poll_and_process(mailbox)
    ticket = Ticket.objects.get()
    agent = make_user(Role.CUSTOMER_SERVICE)

    reply = services.reply(
        ticket.pk, "很抱歉！我们马上补发一个新杯子。", actor=Actor.for_user(agent)
    )
    assert reply.delivery == Delivery.QUEUED
    assert outbox.send_due() == 1

    (sent,) = smtp_server.received
    assert sent["To"] == "li.hua@example.cn"
    assert sent["In-Reply-To"] == "<20261205213000.4711@mail.example.cn>"
    assert "<20261205213000.4711@mail.example.cn>" in sent["References"]
    assert f"[{ticket.number}]" in sent["Subject"]
    body = sent.get_body(("plain",))
    assert body is not None
    assert body.get_content().strip() == "很抱歉！我们马上补发一个新杯子。"
    reply.refresh_from_db()
    assert reply.delivery == Delivery.SENT
    assert reply.external_id == sent["Message-ID"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_CUSTOMER
    assert ticket.first_response_at is not None

    answer = EmailMessage()
    answer["From"] = "李华 <li.hua@example.cn>"
    answer["To"] = "support@shop.test"
    answer["Subject"] = f"Re: {sent['Subject']}"
    answer["Message-ID"] = "<answer-1@mail.example.cn>"
    answer["In-Reply-To"] = sent["Message-ID"]
    answer["References"] = f"<20261205213000.4711@mail.example.cn> {sent['Message-ID']}"
    answer["Date"] = format_datetime(datetime.now(UTC) + timedelta(minutes=1))
    answer.set_content("好的，谢谢！")
    imap_server.deliver(answer.as_bytes())
    poll_and_process(mailbox)

    assert Ticket.objects.count() == 1
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.WAITING_US
    assert ticket.conversations.count() == 1
    assert [m.direction for m in Message.objects.order_by("at", "pk")] == [
        "inbound",
        "outbound",
        "inbound",
    ]


def test_a_refused_reply_is_retried_and_kept_queued(
    imap_server: ImapServer, smtp_server: SmtpServer, mailbox: Source
) -> None:
    imap_server.deliver(fixture("html_only.eml"))
    poll_and_process(mailbox)
    smtp_server.refuse = True
    reply = services.reply(Ticket.objects.get().pk, "On its way.", actor=Actor.system())

    outbox.send_due()

    reply.refresh_from_db()
    assert reply.delivery == Delivery.QUEUED
    assert reply.attempts == 1
    assert "451" in reply.error
    assert reply.next_attempt_at is not None


def test_an_internal_note_is_never_sent(
    imap_server: ImapServer, smtp_server: SmtpServer, mailbox: Source
) -> None:
    imap_server.deliver(fixture("html_only.eml"))
    poll_and_process(mailbox)

    services.reply(Ticket.objects.get().pk, "VIP, be nice", actor=Actor.system(), note=True)

    assert outbox.send_due() == 0
    assert smtp_server.received == []


def test_a_mailbox_that_refuses_the_password_is_reported_on_the_source(
    imap_server: ImapServer, mailbox: Source
) -> None:
    mailbox.settings["imap_password"] = "wrong"
    mailbox.save()

    assert intake.poll_mailbox(mailbox) == 0

    mailbox.refresh_from_db()
    assert "IMAP" in mailbox.last_error


def test_an_html_only_mail_is_read_as_text_without_its_script() -> None:
    message = mail.parse(fixture("html_only.eml"))

    assert "my order #1001 has not arrived & tracking shows nothing." in message.text
    assert "alert" not in message.text
    assert message.contact == "sam@example.com"
    assert message.contact_name == "Sam Carter"


def test_a_mail_without_a_sender_is_a_dead_letter_naming_from() -> None:
    source = Source.objects.create(name="m", kind=SourceKind.EMAIL)

    item = intake.receive(source, body=fixture("no_sender.eml"), event_id="x")

    assert item.outcome == ItemOutcome.DEAD_LETTERED
    assert "From" in ServiceDeadLetter.objects.get().reason
