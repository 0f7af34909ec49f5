"""REST: pushes in (marketplace after-sales, WeChat, WeCom) and tickets for integrations.

Pushes are answered once their raw bytes are committed (the intake's durable promise); the
worker step ``service.intake`` opens the tickets moments later.
"""

from __future__ import annotations

import json
from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema, Text
from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import NormalizationError, hmac_sha256_base64
from omnioms.core.actor import Actor
from omnioms.service import intake, search, services
from omnioms.service.models import Source, SourceKind, Ticket
from omnioms.service.sources import wechat
from omnioms.sync.rejections import record_webhook_rejection
from omnioms.sync.webhooks import webhook_account

pushes = Router(tags=["customer service pushes"], auth=None)
router = Router(tags=["customer service"])

REFUSED = "signature: does not match the secret of an active source of this name"


def _refused() -> Status:
    return Status(401, {"detail": REFUSED, "errors": [{"field": "signature", "message": REFUSED}]})


def aftersales_source(account_name: str) -> Source | None:
    account = webhook_account(account_name)
    if account is None:
        return None
    source, _made = Source.objects.get_or_create(
        name=f"aftersales-{account.name}"[:100],
        defaults={"kind": SourceKind.AFTERSALES, "account": account, "display_name": str(account)},
    )
    return source if source.is_active else None


@pushes.post(
    "/aftersales/{account}",
    response={200: dict[str, object], 401: ErrorOut},
    summary="Receive a marketplace's after-sales push (refund or return request)",
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/json": {"schema": {}}}}
    },
    description=(
        "Signed as the channel account's order webhooks are (the same secret and scheme); "
        "stored durably, deduplicated on the request's id and status, and turned into a ticket "
        "tied to the order and lines it names. What cannot be read is a dead letter."
    ),
)
def receive_aftersales(request: HttpRequest, account: Text) -> HttpResponse | Status:
    source = aftersales_source(account)
    if source is None or source.account is None:
        hmac_sha256_base64("", request.body)
        record_webhook_rejection(account, "unknown_account", request.META.get("REMOTE_ADDR"))
        return _refused()
    adapter = get_adapter(source.account.platform)
    headers = dict(request.headers)
    if not adapter.verify_signature(
        request.body, headers, source.account.active_secrets(), request.build_absolute_uri()
    ):
        record_webhook_rejection(account, "bad_signature", request.META.get("REMOTE_ADDR"))
        return _refused()
    item = intake.accept_item(
        source,
        body=request.body,
        headers=headers,
        event_id=_aftersales_event_id(source, request.body, headers),
        content_type=headers.get("Content-Type", ""),
    )
    if source.account.platform == "douyin":
        return HttpResponse(b'{"code":0,"msg":"success"}', content_type="application/json")
    return Status(200, {"item": item.pk, "outcome": str(item.outcome)})


def _aftersales_event_id(source: Source, body: bytes, headers: dict[str, str]) -> str | None:
    """The dedupe key when the body can be read now; else none (the worker dead-letters it)."""
    assert source.account is not None
    try:
        module = intake.aftersales_module(source.account.platform)
        requests = module.parse(body, headers)
    except (NormalizationError, ValueError, RecursionError):
        return None
    return "|".join(r.event_id for r in requests) or None


def _wechat_source(name: str, kind: str) -> Source | None:
    return Source.objects.filter(name=name, kind=kind, is_active=True).first()


def _query(request: HttpRequest) -> dict[str, str]:
    return {
        k: request.GET.get(k, "")
        for k in ("signature", "msg_signature", "timestamp", "nonce", "echostr", "encrypt_type")
    }


@pushes.get("/wechat/{source}", response={200: str, 401: ErrorOut}, summary="WeChat URL check")
def wechat_check(request: HttpRequest, source: Text) -> HttpResponse | Status:
    """WeChat's server check: answer ``echostr`` when the signature is right (WeCom: the
    decrypted ``echostr``)."""
    found = _wechat_source(source, SourceKind.WECHAT_OA) or _wechat_source(
        source, SourceKind.WECOM_KF
    )
    query = _query(request)
    if found is None:
        return _refused()
    token = str(found.settings.get("token") or "")
    if found.kind == SourceKind.WECOM_KF:
        if not wechat.verify(query, token, query["echostr"]):
            return _refused()
        try:
            plain = wechat.decrypt(
                query["echostr"],
                str(found.settings.get("encoding_aes_key") or ""),
                str(found.settings.get("corp_id") or ""),
            )
        except NormalizationError:
            return _refused()
        return HttpResponse(plain, content_type="text/plain")
    if not wechat.verify(query, token):
        return _refused()
    return HttpResponse(query["echostr"], content_type="text/plain")


@pushes.post(
    "/wechat/{source}",
    response={200: str, 401: ErrorOut},
    summary="Receive a WeChat Official Account or WeCom customer-service push (XML)",
    openapi_extra={
        "requestBody": {"required": False, "content": {"application/xml": {"schema": {}}}}
    },
)
def wechat_push(request: HttpRequest, source: Text) -> HttpResponse | Status:
    found = _wechat_source(source, SourceKind.WECHAT_OA) or _wechat_source(
        source, SourceKind.WECOM_KF
    )
    if found is None:
        return _refused()
    query = _query(request)
    token = str(found.settings.get("token") or "")
    try:
        fields = wechat.xml_fields(request.body)
    except NormalizationError:
        fields = {}
    encrypted = fields.get("Encrypt")
    if not wechat.verify(query, token, encrypted):
        record_webhook_rejection(source, "bad_signature", request.META.get("REMOTE_ADDR"))
        return _refused()
    event_id = None
    if encrypted is None and fields:
        event_id = wechat.event_id(fields)
    elif encrypted is not None:
        try:
            receive_id = str(found.settings.get("app_id") or found.settings.get("corp_id") or "")
            opened = wechat.open_push(request.body, found.settings, receive_id)
            event_id = wechat.event_id(opened) if found.kind == SourceKind.WECHAT_OA else None
        except NormalizationError:
            event_id = None
    intake.accept_item(
        found,
        body=request.body,
        headers={"query": json.dumps(query)},
        event_id=event_id,
        content_type="application/xml",
    )
    # WeChat wants "success" (or an empty body) within 5 s, else it retries three times.
    return HttpResponse(b"success", content_type="text/plain")


# ----------------------------------------------------------------------------------------------
# Tickets


class TicketOut(Schema):
    id: int
    number: str
    subject: str
    status: str
    ticket_type: str
    priority: str
    channel: str
    customer_id: int | None
    assignee: str | None
    created_at: datetime
    first_response_due: datetime | None
    resolution_due: datetime | None
    platform_due_at: datetime | None

    @staticmethod
    def resolve_assignee(obj: Ticket) -> str | None:
        return obj.assignee.get_username() if obj.assignee else None


class TicketFilter(InputSchema):
    status: str | None = Field(None, max_length=20)
    q: str | None = Field(None, max_length=200)


@router.get("/service/tickets", response={200: list[TicketOut], 400: ErrorOut})
def list_tickets(
    request: HttpRequest, filters: Query[TicketFilter]
) -> QuerySet[Ticket] | list[Ticket]:
    require_perm(request, "service.view_ticket")
    tickets = Ticket.objects.select_related("assignee").order_by("-created_at")
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.q:
        try:
            hits = search.matching_entries(filters.q, kinds=["ticket"], limit=100)
        except search.QueryTooShort as exc:
            raise HttpError(400, f"q: {exc}") from exc
        tickets = tickets.filter(pk__in=[h.object_id for h in hits])
    return tickets[:200]


@router.get("/service/tickets/{ticket_id}", response={200: TicketOut, 404: ErrorOut})
def get_ticket(request: HttpRequest, ticket_id: int) -> Ticket:
    require_perm(request, "service.view_ticket")
    return get_object_or_404(Ticket.objects.select_related("assignee"), pk=ticket_id)


class ReplyIn(InputSchema):
    text: str = Field(min_length=1, max_length=services.REPLY_LIMIT)
    note: bool = False


class MessageOut(Schema):
    id: int
    direction: str
    delivery: str


@router.post(
    "/service/tickets/{ticket_id}/messages",
    response={201: MessageOut, 400: ErrorOut, 404: ErrorOut},
    summary="Answer a ticket on the customer's channel, or add an internal note",
)
def post_message(request: HttpRequest, ticket_id: int, data: ReplyIn) -> Status:
    require_perm(request, "service.answer_ticket")
    get_object_or_404(Ticket, pk=ticket_id)
    try:
        message = services.reply(
            ticket_id, data.text, actor=Actor.for_user(request.user), note=data.note
        )
    except services.TicketError as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, message)


class SearchHitOut(Schema):
    kind: str
    object_id: int
    title: str


class SearchQuery(InputSchema):
    q: str = Field(min_length=1, max_length=200)


@router.get("/service/search", response={200: dict[str, list[SearchHitOut]], 400: ErrorOut})
def search_everything(
    request: HttpRequest, filters: Query[SearchQuery]
) -> dict[str, list[search.Hit]]:
    require_perm(request, "service.view_ticket")
    q = filters.q
    try:
        return search.search(q, request.user)
    except search.QueryTooShort as exc:
        raise HttpError(400, f"q: {exc}") from exc
