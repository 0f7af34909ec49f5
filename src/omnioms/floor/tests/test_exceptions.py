"""Exceptions through their lifecycle, escalation, T-3 loops and the people told."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.floor.domain import FloorError
from omnioms.floor.exceptions import escalate_due, open_exception, take_step
from omnioms.floor.models import (
    ChatKind,
    ChatMessage,
    ChatWebhook,
    CommitDate,
    FloorException,
    Notification,
)
from omnioms.floor.notify import send_chat_due, signed_url
from omnioms.floor.reporting import report_operation
from omnioms.floor.t3 import answer_t3, scan_t3
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)


def scrap_exception(**extra: Any) -> FloorException:
    exc = open_exception(
        "scrap",
        key="order:1:scrap",
        title="MO-1 scrapped 0.1",
        figures={"figure": "0.1"},
        actor=Actor.system(),
        now=NOW,
        **extra,
    )
    assert exc is not None
    return exc


def test_an_exception_is_acknowledged_worked_resolved_and_closed_by_a_supervisor() -> None:
    owner, boss = make_user(Role.SUPERVISOR), make_user(Role.SUPERVISOR)
    exc = scrap_exception()
    take_step(exc.pk, step="acknowledge", user=owner)
    take_step(
        exc.pk, step="work", user=owner, cause="blunt blade", action="new blade", due="2026-12-07"
    )
    take_step(exc.pk, step="resolve", user=owner)

    take_step(exc.pk, step="close", user=boss)

    exc.refresh_from_db()
    assert exc.status == "closed"
    assert exc.closed_by == boss
    steps = list(exc.events.values_list("kind", flat=True))
    assert steps == ["opened", "acknowledge", "work", "resolve", "close"]


def test_work_without_a_cause_and_an_action_is_refused() -> None:
    exc = scrap_exception()
    with pytest.raises(FloorError, match="give the cause and the action"):
        take_step(exc.pk, step="work", user=make_user(Role.SUPERVISOR), cause="x", action=" ")


def test_an_exception_cannot_be_closed_before_it_is_resolved_nor_by_its_owner() -> None:
    owner = make_user(Role.SUPERVISOR)
    exc = scrap_exception()
    with pytest.raises(FloorError, match="the exception is Open"):
        take_step(exc.pk, step="close", user=make_user(Role.MANAGER))
    FloorException.objects.filter(pk=exc.pk).update(owner_user=owner)
    take_step(exc.pk, step="work", user=owner, cause="c", action="a")
    take_step(exc.pk, step="resolve", user=owner)
    with pytest.raises(FloorError, match="not the owner"):
        take_step(exc.pk, step="close", user=owner)


def test_an_unanswered_exception_escalates_one_level_at_a_time_and_people_are_told() -> None:
    supervisor = make_user(Role.SUPERVISOR)
    supervisor.email = "sup@example.com"
    supervisor.save()
    manager = make_user(Role.MANAGER)
    exc = (
        scrap_exception()
    )  # acknowledge within 2 h; chain: supervisor 0 h, planner 4 h, manager 12 h

    assert escalate_due(NOW + timedelta(hours=1)) == 0
    assert escalate_due(NOW + timedelta(hours=3)) == 1
    assert escalate_due(NOW + timedelta(hours=3)) == 0
    assert escalate_due(NOW + timedelta(hours=7)) == 1
    assert escalate_due(NOW + timedelta(hours=15)) == 1

    exc.refresh_from_db()
    assert exc.escalation_level == 3
    assert Notification.objects.filter(user=manager, exception=exc).exists()
    assert (
        any("sup@example.com" in m.to for m in mail.outbox)
        or Notification.objects.filter(user=supervisor).exists()
    )


class _Robot(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Robot.received.append((self.path, body))
        answer = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def robot() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Robot)
    _Robot.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_wecom_and_dingtalk_robots_get_their_documented_json(robot: str) -> None:
    ChatWebhook.objects.create(
        name="line 1", kind=ChatKind.WECOM, url=f"{robot}/cgi-bin/webhook/send?key=abc"
    )
    ChatWebhook.objects.create(
        name="plant",
        kind=ChatKind.DINGTALK,
        url=f"{robot}/robot/send?access_token=xyz",
        secret="SECtest",
    )
    scrap_exception()

    assert send_chat_due() == 2

    paths = sorted(path for path, _ in _Robot.received)
    wecom = next(body for path, body in _Robot.received if "webhook" in path)
    ding_path, ding = next((p, b) for p, b in _Robot.received if "robot" in p)
    assert wecom["msgtype"] == "text"
    assert "MO-1 scrapped" in wecom["text"]["content"]
    assert ding["at"] == {"isAtAll": False}
    assert "MO-1" in ding["text"]["content"]
    assert "timestamp=" in ding_path
    assert "&sign=" in ding_path
    assert len(paths) == 2
    assert ChatMessage.objects.filter(sent_at__isnull=True).count() == 0


def test_a_robot_that_refuses_is_tried_again_later(robot: str) -> None:
    ChatWebhook.objects.create(name="gone", kind=ChatKind.WECOM, url="http://127.0.0.1:9/x")
    scrap_exception()
    send_chat_due()
    message = ChatMessage.objects.get()
    assert message.sent_at is None
    assert message.attempts == 1
    assert message.error


def test_the_dingtalk_signature_is_hmac_sha256_of_the_timestamp_and_secret() -> None:
    # computed independently: base64(hmac_sha256(b"SEC1", b"1700000000000\nSEC1"))
    import base64
    import hashlib
    import hmac
    from urllib.parse import quote_plus

    expected = quote_plus(
        base64.b64encode(
            hmac.new(b"SEC1", b"1700000000000\nSEC1", hashlib.sha256).digest()
        ).decode()
    )
    assert signed_url("https://x/robot/send?access_token=t", "SEC1", now_ms=1700000000000) == (
        f"https://x/robot/send?access_token=t&timestamp=1700000000000&sign={expected}"
    )


def test_an_order_due_in_three_days_with_work_left_opens_a_t3_with_the_projected_finish() -> None:
    s = shop()
    late = production_order(s, 100, due=date(2026, 12, 9))
    production_order(s, 100, due=date(2026, 12, 20))  # not yet in its window

    scan_t3(NOW)

    (exc,) = FloorException.objects.filter(type__code="t3")
    assert exc.production_order_id == late.pk
    assert [op["left"] for op in exc.figures["operations"]] == [100, 100]
    assert exc.figures["projected_finish"] >= NOW.isoformat()
    assert exc.owner_role == "planner"


def test_a_t3_unanswered_escalates_to_the_production_manager() -> None:
    production_order(shop(), 100, due=date(2026, 12, 9))
    manager = make_user(Role.MANAGER)
    scan_t3(NOW)
    for hours in (5, 10, 20):
        escalate_due(NOW + timedelta(hours=hours))
    exc = FloorException.objects.get(type__code="t3")
    assert exc.escalation_level == 2
    assert Notification.objects.filter(user=manager, exception=exc).exists()


def test_a_t3_answered_with_a_recovery_stays_open_until_the_order_is_finished() -> None:
    order = production_order(shop(), 10, due=date(2026, 12, 9))
    scan_t3(NOW)
    exc = FloorException.objects.get(type__code="t3")
    answer_t3(
        exc.pk,
        user=make_user(Role.SUPERVISOR),
        recovery="overtime",
        action="Saturday shift on sewing",
    )
    exc.refresh_from_db()
    assert (exc.status, exc.recovery) == ("in_work", "overtime")

    cut, sew = order.operations.order_by("sequence")
    for op, minutes in ((cut, 0), (sew, 20)):
        report_operation(
            operation_id=op.pk,
            report_id=f"s{op.pk}",
            kind="start",
            at=START + timedelta(minutes=minutes),
            actor=ACTOR,
            source="api",
        )
        report_operation(
            operation_id=op.pk,
            report_id=f"f{op.pk}",
            kind="finish",
            at=START + timedelta(minutes=minutes + 10),
            actor=ACTOR,
            source="api",
            good=10,
        )
    scan_t3(NOW)

    exc.refresh_from_db()
    assert exc.status == "closed"
    assert exc.events.last().data["reason"] == "completed"  # type: ignore[union-attr]


def test_a_new_date_agreed_with_the_customer_closes_the_t3_and_moves_the_commit_date() -> None:
    from omnioms.inventory.tests.factories import account, order_json, submit

    s = shop()
    customer_order = submit(account("tmall"), order_json("T-9", [("SHIRT", 10)]))
    production_order(s, 10, due=date(2026, 12, 8), customer_order=customer_order)
    first = CommitDate.objects.get(order=customer_order).committed_on  # written on arrival
    scan_t3(NOW)
    exc = FloorException.objects.get(type__code="t3")
    assert exc.customer_order_id == customer_order.pk

    answer_t3(exc.pk, user=make_user(Role.MANAGER), recovery="new_date", new_date="2026-12-15")

    exc.refresh_from_db()
    commit = CommitDate.objects.get(order=customer_order)
    assert exc.status == "closed"
    assert (commit.committed_on, commit.original_on) == (date(2026, 12, 15), first)


def test_the_exception_pages_list_and_work_an_exception(client: Client) -> None:
    exc = scrap_exception()
    client.force_login(make_user(Role.SUPERVISOR))
    listing = client.get(reverse("floor:exceptions"), {"view": "open"})
    assert exc.title in listing.content.decode()

    client.post(
        reverse("floor:exception", args=[exc.pk]),
        {"step": "work", "cause": "blade", "action": "sharpen"},
    )

    exc.refresh_from_db()
    assert exc.status == "in_work"
    assert exc.cause == "blade"
