"""WeChat Official Account and WeCom customer service: signed (and encrypted) XML pushes open or
continue conversations; replies go back through the platform API (a local HTTP server)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from omnioms.channels.tests.replay_server import ReplayServer, Reply, Request
from omnioms.core.actor import Actor
from omnioms.service import intake, outbox, services
from omnioms.service.models import (
    Delivery,
    InboundItem,
    ItemOutcome,
    Message,
    Source,
    SourceKind,
    Ticket,
)
from omnioms.service.sources import wechat

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures" / "wechat"
TOKEN = "pushToken42"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters, WeChat's doc example
APP_ID = "wx5823bf96d3bd56c7"
CORP_ID = "ww1a2b3c4d5e6f7a8b"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def signed_query(encrypted: str | None = None, timestamp: str = "1796515200") -> str:
    nonce = "1320562132"
    query = {"timestamp": timestamp, "nonce": nonce}
    if encrypted is None:
        query["signature"] = wechat.sha1_signature(TOKEN, timestamp, nonce)
    else:
        query["msg_signature"] = wechat.sha1_signature(TOKEN, timestamp, nonce, encrypted)
        query["encrypt_type"] = "aes"
    return urlencode(query)


@pytest.fixture
def platform() -> Iterator[ReplayServer]:
    with ReplayServer() as server:
        server.route(
            "GET",
            r"/cgi-bin/(token|gettoken)",
            lambda r: Reply.json({"access_token": "AT-1", "expires_in": 7200}),
        )
        yield server


@pytest.fixture
def official_account(platform: ReplayServer) -> Source:
    wechat._tokens.clear()
    return Source.objects.create(
        name="qinghe-oa",
        kind=SourceKind.WECHAT_OA,
        settings={
            "token": TOKEN,
            "app_id": APP_ID,
            "app_secret": "s",
            "encoding_aes_key": AES_KEY,
            "base_url": platform.url,
        },
    )


def test_wechats_url_check_is_answered_with_its_echo(
    client: Client, official_account: Source
) -> None:
    answer = client.get(f"/api/v1/service/wechat/qinghe-oa?{signed_query()}&echostr=abc123")

    assert answer.content == b"abc123"


def test_a_text_message_opens_a_conversation_and_a_second_continues_it(
    client: Client, official_account: Source
) -> None:
    answer = client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
        fixture("text_message.xml"),
        content_type="text/xml",
    )
    assert answer.content == b"success"
    intake.process_received()
    second = fixture("text_message.xml").replace(b"24539283746519283", b"24539283746519284")
    client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}", second, content_type="text/xml"
    )
    intake.process_received()

    ticket = Ticket.objects.get()
    assert ticket.channel == "wechat_oa"
    conversation = ticket.conversations.get()
    assert conversation.contact == "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
    assert [m.body for m in conversation.messages.all()] == [
        "你好，订单3712845069123456789什么时候发货？"
    ] * 2


def test_a_repeated_push_is_stored_once_as_an_event(
    client: Client, official_account: Source
) -> None:
    for _ in range(2):
        client.post(
            f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
            fixture("text_message.xml"),
            content_type="text/xml",
        )
    intake.process_received()

    assert InboundItem.objects.filter(outcome=ItemOutcome.DUPLICATE).count() == 1
    assert Message.objects.count() == 1


def test_a_push_with_a_wrong_signature_is_refused(client: Client, official_account: Source) -> None:
    answer = client.post(
        "/api/v1/service/wechat/qinghe-oa?timestamp=1&nonce=2&signature=bad",
        fixture("text_message.xml"),
        content_type="text/xml",
    )

    assert answer.status_code == 401
    assert InboundItem.objects.count() == 0


def test_a_subscribe_event_opens_nothing(client: Client, official_account: Source) -> None:
    client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
        fixture("subscribe_event.xml"),
        content_type="text/xml",
    )
    intake.process_received()

    assert InboundItem.objects.get().outcome == ItemOutcome.IGNORED
    assert Ticket.objects.count() == 0


def test_a_safe_mode_push_is_decrypted(client: Client, official_account: Source) -> None:
    encrypted = wechat.encrypt(fixture("text_message.xml"), AES_KEY, APP_ID)
    body = f"<xml><ToUserName>gh_3f2a9c4e1b7d</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"

    answer = client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query(encrypted)}",
        body.encode(),
        content_type="text/xml",
    )
    intake.process_received()

    assert answer.status_code == 200
    assert Message.objects.get().body.startswith("你好")


def test_a_push_encrypted_for_another_account_is_a_dead_letter(
    client: Client, official_account: Source
) -> None:
    encrypted = wechat.encrypt(fixture("text_message.xml"), AES_KEY, "wxSOMEONEELSE")
    body = f"<xml><Encrypt>{encrypted}</Encrypt></xml>"

    client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query(encrypted)}",
        body.encode(),
        content_type="text/xml",
    )
    intake.process_received()

    item = InboundItem.objects.get()
    assert item.outcome == ItemOutcome.DEAD_LETTERED
    assert "wxSOMEONEELSE" in item.dead_letter.reason


def test_xml_with_an_entity_bomb_is_refused_unread() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><A>&a;</A></xml>'

    with pytest.raises(wechat.NormalizationError, match="XML"):
        wechat.xml_fields(bomb)


def test_the_agents_reply_goes_out_through_the_customer_service_api(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    sent: list[Any] = []

    def send(request: Request) -> Reply:
        sent.append((request.query, request.json()))
        return Reply.json({"errcode": 0, "errmsg": "ok"})

    platform.route("POST", r"/cgi-bin/message/custom/send", send)
    client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
        fixture("text_message.xml"),
        content_type="text/xml",
    )
    intake.process_received()

    reply = services.reply(Ticket.objects.get().pk, "今天下午发货。", actor=Actor.system())
    outbox.send_due()

    assert sent == [
        (
            {"access_token": "AT-1"},
            {
                "touser": "oGZUI0egBJY1zhBYw2KhdUfwVJJE",
                "msgtype": "text",
                "text": {"content": "今天下午发货。"},
            },
        )
    ]
    reply.refresh_from_db()
    assert reply.delivery == Delivery.SENT


def test_a_reply_the_platform_refuses_keeps_its_error_and_is_retried(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    platform.route(
        "POST",
        r"/cgi-bin/message/custom/send",
        lambda r: Reply.json({"errcode": 45015, "errmsg": "response out of time limit"}),
    )
    client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
        fixture("text_message.xml"),
        content_type="text/xml",
    )
    intake.process_received()

    reply = services.reply(Ticket.objects.get().pk, "Hello", actor=Actor.system())
    outbox.send_due()

    reply.refresh_from_db()
    assert reply.delivery == Delivery.QUEUED
    assert "45015" in reply.error


@pytest.fixture
def wecom(platform: ReplayServer) -> Source:
    wechat._tokens.clear()
    sync = json.loads((FIXTURES / "wecom_sync_msg.json").read_bytes())
    platform.route("POST", r"/cgi-bin/kf/sync_msg", lambda r: Reply.json(sync))
    return Source.objects.create(
        name="qinghe-kf",
        kind=SourceKind.WECOM_KF,
        settings={
            "token": TOKEN,
            "encoding_aes_key": AES_KEY,
            "corp_id": CORP_ID,
            "secret": "s",
            "open_kfid": "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw",
            "base_url": platform.url,
        },
    )


def test_a_wecom_push_fetches_the_waiting_messages_and_opens_a_conversation(
    client: Client, wecom: Source, platform: ReplayServer
) -> None:
    encrypted = wechat.encrypt(fixture("wecom_kf_event.xml"), AES_KEY, CORP_ID)
    body = f"<xml><ToUserName>{CORP_ID}</ToUserName><Encrypt>{encrypted}</Encrypt></xml>"

    client.post(
        f"/api/v1/service/wechat/qinghe-kf?{signed_query(encrypted)}",
        body.encode(),
        content_type="text/xml",
    )
    intake.process_received()  # the push: fetch with sync_msg
    intake.process_received()  # the fetched messages

    (call,) = platform.calls("/cgi-bin/kf/sync_msg")
    assert call.json()["token"] == "ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"
    ticket = Ticket.objects.get()
    assert ticket.conversations.get().contact == "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"
    assert Message.objects.get().body == "我要退货，尺码不对"  # the system event opens nothing
    source = Source.objects.get(pk=wecom.pk)
    assert source.poll_cursor == {"cursor": "4gw7MepFLfgF2VC5npN"}


def test_wecoms_url_check_is_answered_with_the_decrypted_echo(
    client: Client, wecom: Source
) -> None:
    echo = wechat.encrypt(b"6721382735", AES_KEY, CORP_ID)

    answer = client.get(
        f"/api/v1/service/wechat/qinghe-kf?{signed_query(echo)}&{urlencode({'echostr': echo})}"
    )

    assert answer.content == b"6721382735"


def test_a_wecom_reply_goes_out_with_send_msg(
    client: Client, wecom: Source, platform: ReplayServer
) -> None:
    platform.route(
        "POST",
        r"/cgi-bin/kf/send_msg",
        lambda r: Reply.json({"errcode": 0, "errmsg": "ok", "msgid": "MSG-9"}),
    )
    intake.fetch_wecom(wecom)
    intake.process_received()

    reply = services.reply(Ticket.objects.get().pk, "已为您登记退货", actor=Actor.system())
    outbox.send_due()

    (call,) = platform.calls("/cgi-bin/kf/send_msg")
    assert call.json() == {
        "touser": "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw",
        "open_kfid": "wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw",
        "msgtype": "text",
        "text": {"content": "已为您登记退货"},
    }
    reply.refresh_from_db()
    assert (reply.delivery, reply.external_id) == (Delivery.SENT, "MSG-9")
