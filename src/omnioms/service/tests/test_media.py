"""Images, voice, video and files of WeChat and WeCom messages: the message is stored first,
then its file is fetched through the platform's media API (a local HTTP server here), with
retries; an expired media id fails at once and the ticket says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.channels.tests.replay_server import ReplayServer, Reply, Request
from omnioms.core.roles import Role
from omnioms.service import intake, media
from omnioms.service.models import MediaFetch, MediaState, Message, Source, SourceKind, Ticket
from omnioms.service.sources import wechat
from omnioms.service.tests.factories import logged_in
from omnioms.service.tests.test_wechat import (
    AES_KEY,
    APP_ID,
    CORP_ID,
    FIXTURES,
    TOKEN,
    fixture,
    signed_query,
)

pytestmark = pytest.mark.django_db
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
AMR = b"#!AMR\n" + b"\x3c" * 300
PDF = b"%PDF-1.4\n% an invoice\n%%EOF\n"
EXPIRED = {"errcode": 40007, "errmsg": "invalid media_id hint: [abc123]"}


@pytest.fixture
def platform() -> Iterator[ReplayServer]:
    wechat._tokens.clear()
    with ReplayServer() as server:
        server.route(
            "GET",
            r"/cgi-bin/(token|gettoken)",
            lambda r: Reply.json({"access_token": "AT-7", "expires_in": 7200}),
        )
        yield server


def serve_media(server: ReplayServer, files: dict[str, tuple[str, str, bytes]]) -> None:
    """``media/get`` as WeChat answers it: the file with its name, or a JSON error."""

    def answer(request: Request) -> Reply:
        assert request.query["access_token"] == "AT-7"
        found = files.get(request.query["media_id"])
        if found is None:
            return Reply.json(EXPIRED)
        name, content_type, data = found
        disposition = (
            f'attachment; filename="{name}"'
            if name.isascii()
            else f"attachment; filename*=UTF-8''{quote(name)}"  # RFC 6266
        )
        return Reply(200, data, {"Content-Type": content_type, "Content-Disposition": disposition})

    server.route("GET", r"/cgi-bin/media/get", answer)


@pytest.fixture
def official_account(platform: ReplayServer) -> Source:
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


def push(client: Client, name: str) -> None:
    answer = client.post(
        f"/api/v1/service/wechat/qinghe-oa?{signed_query()}",
        fixture(name),
        content_type="text/xml",
    )
    assert answer.content == b"success"
    intake.process_received()


def test_an_image_message_gets_its_picture_as_an_attachment(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    serve_media(
        platform,
        {"Kq3yXDbBp4mGz8f9jL2nR7tW1vH6sC0eA5uY3iO9pQxZ": ("Kq3yXD.jpg", "image/jpeg", JPEG)},
    )
    push(client, "image_message.xml")
    message = Message.objects.get()
    assert message.body.startswith("[image] http://mmbiz.qpic.cn/")
    assert message.attachments.count() == 0  # stored before anything is fetched

    assert media.fetch_due() == 1

    (attachment,) = message.attachments.all()
    assert (attachment.filename, attachment.content_type, bytes(attachment.data)) == (
        "Kq3yXD.jpg",
        "image/jpeg",
        JPEG,
    )
    assert MediaFetch.objects.get().state == MediaState.FETCHED
    logged_in(client, Role.CUSTOMER_SERVICE)
    page = client.get(reverse("service:ticket", args=[message.conversation.ticket_id]))
    link = reverse("service:attachment", args=[message.conversation.ticket_id, attachment.pk])
    assert link in page.content.decode()
    assert client.get(link).content == JPEG


def test_a_voice_message_keeps_its_recognised_text_and_gets_its_recording(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    serve_media(
        platform, {"Vw8sPq2nM5kJ7hG1fD4aS9zX3cV6bN0mL2kJ5hG8fD1a": ("v.amr", "audio/amr", AMR)}
    )
    push(client, "voice_message.xml")
    media.fetch_due()

    message = Message.objects.get()
    assert message.body == "[voice] 杯子碎了"
    assert bytes(message.attachments.get().data) == AMR


def test_a_video_is_downloaded_from_the_link_the_media_api_answers(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    video = b"\x00\x00\x00\x18ftypmp42" + b"\x01" * 500
    platform.route(
        "GET",
        r"/cgi-bin/media/get",
        lambda r: Reply.json({"video_url": platform.url + "/download/v1.mp4"}),
    )
    platform.route("GET", r"/download/v1\.mp4", lambda r: Reply(200, video, {"X": "y"}))
    push(client, "video_message.xml")
    media.fetch_due()

    attachment = Message.objects.get().attachments.get()
    assert bytes(attachment.data) == video
    assert attachment.content_type == "video/mp4"
    assert attachment.filename == "video-24539283746519292.mp4"


def test_an_expired_media_id_fails_at_once_and_the_ticket_says_why(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    serve_media(platform, {})  # the platform no longer has it: 40007
    push(client, "image_message.xml")

    media.fetch_due()
    media.fetch_due(now=timezone.now() + timedelta(days=1))

    fetch = MediaFetch.objects.get()
    assert fetch.state == MediaState.FAILED
    assert fetch.attempts == 1  # not retried: an expired id does not come back
    assert "40007" in fetch.error
    assert len(platform.calls("/cgi-bin/media/get")) == 1
    message = Message.objects.get()
    assert message.body.startswith("[image]")  # the message itself is kept
    logged_in(client, Role.CUSTOMER_SERVICE)
    page = client.get(reverse("service:ticket", args=[Ticket.objects.get().pk])).content.decode()
    assert "could not be fetched from the platform" in page
    assert "40007 invalid media_id" in page


def test_a_platform_error_is_retried_later_and_then_fetched(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    serve_media(
        platform,
        {"Kq3yXDbBp4mGz8f9jL2nR7tW1vH6sC0eA5uY3iO9pQxZ": ("Kq3yXD.jpg", "image/jpeg", JPEG)},
    )
    platform.inject("/cgi-bin/media/get", status=503)
    push(client, "image_message.xml")

    assert media.fetch_due() == 1
    fetch = MediaFetch.objects.get()
    assert (fetch.state, fetch.attempts) == (MediaState.PENDING, 1)
    assert "HTTP 503" in fetch.error
    assert fetch.next_attempt_at is not None
    assert fetch.next_attempt_at > timezone.now()
    assert media.fetch_due() == 0  # not before its time

    media.fetch_due(now=fetch.next_attempt_at + timedelta(seconds=1))

    fetch.refresh_from_db()
    assert (fetch.state, fetch.error) == (MediaState.FETCHED, "")
    assert bytes(fetch.attachment.data) == JPEG  # type: ignore[union-attr]


def test_an_expired_access_token_is_fetched_again_and_the_file_retried(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    answers = iter([Reply.json({"errcode": 42001, "errmsg": "access_token expired"})])

    def answer(request: Request) -> Reply:
        return next(answers, None) or Reply(
            200, JPEG, {"Content-Type": "image/jpeg", "Content-Disposition": 'filename="a.jpg"'}
        )

    platform.route("GET", r"/cgi-bin/media/get", answer)
    push(client, "image_message.xml")

    media.fetch_due()
    media.fetch_due(now=timezone.now() + timedelta(minutes=5))

    assert MediaFetch.objects.get().state == MediaState.FETCHED
    assert len(platform.calls("/cgi-bin/token")) == 2


def test_a_wecom_image_and_file_are_fetched_with_the_wecom_token(platform: ReplayServer) -> None:
    sync = json.loads((FIXTURES / "wecom_sync_msg_media.json").read_bytes())
    platform.route("POST", r"/cgi-bin/kf/sync_msg", lambda r: Reply.json(sync))
    serve_media(
        platform,
        {
            "2iSLeVyqzk4eX0IB5kTi9Ljfa2rt9dwfq5WKRQ4Nvvgw": ("photo.png", "image/png", JPEG),
            "1Yv-zXfHjSjU-7LH-GwtYqDGS-zz6w22KmWAT5COgP7o": ("发票.pdf", "application/pdf", PDF),
        },
    )
    source = Source.objects.create(
        name="qinghe-kf",
        kind=SourceKind.WECOM_KF,
        settings={"corp_id": CORP_ID, "secret": "s", "base_url": platform.url},
    )
    intake.fetch_wecom(source)
    intake.process_received()

    assert media.fetch_due() == 2

    names = sorted(
        (m.body, a.filename, a.content_type)
        for m in Message.objects.all()
        for a in m.attachments.all()
    )
    assert names == [
        ("[file]", "发票.pdf", "application/pdf"),
        ("[image]", "photo.png", "image/png"),
    ]
    assert platform.calls("/cgi-bin/gettoken")[0].query["corpid"] == CORP_ID


def test_a_file_larger_than_the_limit_is_refused_and_named(
    client: Client, official_account: Source, platform: ReplayServer, settings: object
) -> None:
    settings.OMNIOMS_SERVICE_ATTACHMENT_LIMIT = 100  # type: ignore[attr-defined]
    serve_media(
        platform,
        {"Kq3yXDbBp4mGz8f9jL2nR7tW1vH6sC0eA5uY3iO9pQxZ": ("Kq3yXD.jpg", "image/jpeg", JPEG)},
    )
    push(client, "image_message.xml")
    for _ in range(media.MAX_ATTEMPTS):
        media.fetch_due(now=timezone.now() + timedelta(days=1))

    fetch = MediaFetch.objects.get()
    assert fetch.state == MediaState.FAILED
    assert "more than the limit of 100" in fetch.error


def test_an_agent_can_have_a_failed_file_fetched_again(
    client: Client, official_account: Source, platform: ReplayServer
) -> None:
    platform.inject("/cgi-bin/media/get", status=502, times=media.MAX_ATTEMPTS)
    serve_media(
        platform,
        {"Kq3yXDbBp4mGz8f9jL2nR7tW1vH6sC0eA5uY3iO9pQxZ": ("Kq3yXD.jpg", "image/jpeg", JPEG)},
    )
    push(client, "image_message.xml")
    for _ in range(media.MAX_ATTEMPTS):
        media.fetch_due(now=timezone.now() + timedelta(days=1))
    fetch = MediaFetch.objects.get()
    assert fetch.state == MediaState.FAILED
    ticket = Ticket.objects.get()
    logged_in(client, Role.CUSTOMER_SERVICE)
    retry = reverse("service:retry_media", args=[ticket.pk, fetch.pk])
    assert retry in client.get(reverse("service:ticket", args=[ticket.pk])).content.decode()

    client.post(retry)
    media.fetch_due()

    fetch.refresh_from_db()
    assert fetch.state == MediaState.FETCHED
    assert bytes(fetch.attachment.data) == JPEG  # type: ignore[union-attr]
