"""Webhooks in, orders posted in the normalised shape, channel accounts and dead letters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError, ValidationError
from pydantic import ConfigDict

from omnioms.api.auth import require_perm
from omnioms.api.schemas import ErrorOut, InputSchema
from omnioms.channels.adapters import UnknownPlatform
from omnioms.channels.adapters.base import hmac_sha256_base64
from omnioms.channels.bodies import Body, attachment, head_of, with_body_head
from omnioms.channels.contract import NormalizedOrder
from omnioms.channels.models import (
    DISMISSAL_REASON_LIMIT,
    ChannelAccount,
    DeadLetter,
    DeadLetterState,
    InboundPayload,
    bounded_reason,
)
from omnioms.core.actor import Actor
from omnioms.orders.api import OrderDetailOut
from omnioms.orders.api import router as orders_router
from omnioms.orders.models import Order
from omnioms.orders.selectors import user_store_id
from omnioms.sync.rejections import record_webhook_rejection
from omnioms.sync.services import (
    DeadLetterClosed,
    create_account,
    dismiss_dead_letter,
    replay_dead_letter,
    submit_order,
)
from omnioms.sync.webhooks import InvalidSignature, accept_webhook, webhook_account

webhooks = Router(tags=["webhooks"], auth=None)
router = Router(tags=["channels"])


# ----------------------------------------------------------------------------------------------
# Staff entry: ``POST /api/v1/orders``. Entering an order is intake (stored as a payload, then
# upserted like any channel's), so it lives here; it is added to the orders router so that
# GET and POST on ``/orders`` share one path.


class OrderIn(NormalizedOrder):
    """A normalised order (``docs/contracts.md``) and the account it belongs to."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    account: str
    channel: str = "manual"


@orders_router.post("", response={201: OrderDetailOut, 400: ErrorOut, 404: ErrorOut})
def post_order(request: HttpRequest, data: OrderIn) -> Status:
    require_perm(request, "orders.add_order")
    account = ChannelAccount.objects.filter(name=data.account).first()
    if account is None:
        raise HttpError(404, f"account: no channel account named {data.account!r}")
    if not request.user.has_perm("orders.view_all_orders"):
        # A store clerk adds orders to their own store's accounts only; one with no store has
        # none (``None`` would otherwise match every online account, which has no location).
        store_id = user_store_id(request.user)
        if store_id is None or account.location_id != store_id:
            raise HttpError(404, f"account: no channel account named {data.account!r}")
    order = NormalizedOrder.model_validate(data.model_dump(exclude={"account"}))
    payload = submit_order(account, order, actor=Actor.for_user(request.user))
    assert payload.order_id is not None  # upsert_orders always links the payload
    return Status(201, Order.objects.select_related("account").get(pk=payload.order_id))


# ----------------------------------------------------------------------------------------------
# Webhooks


REFUSED = "signature: does not match the secret of an active channel account of this name"
"""The one answer to a refused webhook, whether the account exists or not (see receive)."""


@webhooks.post(
    "/{account}",
    response={200: dict[str, object], 401: ErrorOut},
    summary="Receive a channel's webhook (signed with the account's secret)",
    # The body is the platform's own, read raw: any JSON, form or bytes.
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": {}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
    description=(
        "Verifies the signature over the raw body, stores the delivery durably (deduplicated "
        "on the platform's event id) and answers once it is committed. The intake worker "
        "normalises it into an order moments later; what cannot be read becomes a dead letter. "
        "A bad signature and an account name that is unknown or inactive get the same 401, so "
        "that account names cannot be probed."
    ),
)
def receive(request: HttpRequest, account: str) -> HttpResponse | Status:
    # An unknown name and a bad signature are answered alike (status, body, headers), else
    # anyone could list the shop's account names by trying them; the rejection records tell
    # them apart for the health page.
    found = webhook_account(account)
    if found is None:
        # About the work of checking a signature, so that the time of the answer tells little.
        hmac_sha256_base64("", request.body)
        record_webhook_rejection(account, "unknown_account", request.META.get("REMOTE_ADDR"))
        return _refused()
    try:
        result = accept_webhook(
            found,
            body=request.body,
            headers=dict(request.headers),
            url=request.build_absolute_uri(),
        )
    except InvalidSignature:
        record_webhook_rejection(account, "bad_signature", request.META.get("REMOTE_ADDR"))
        return _refused()
    if result.response is not None:
        # Some platforms expect an exact body back (Douyin: {"code":0,"msg":"success"}).
        return HttpResponse(result.response, content_type="application/json")
    return Status(200, {"payload": result.payload_id, "outcome": str(result.outcome)})


def _refused() -> Status:
    return Status(401, {"detail": REFUSED, "errors": [{"field": "signature", "message": REFUSED}]})


class AccountIn(InputSchema):
    # As long as the columns; the platform and the time zone are checked by create_account (400).
    name: str = Field(min_length=1, max_length=100, pattern=r"^[-a-zA-Z0-9_]+$")
    platform: str = Field(max_length=30)
    display_name: str = Field("", max_length=200)
    secret: str = Field("", max_length=500)
    time_zone: str = Field("Asia/Shanghai", max_length=64)
    currency: str = Field("CNY", pattern=r"^[A-Za-z]{3}$")
    location: str | None = Field(None, max_length=50)


class AccountOut(Schema):
    id: int
    name: str
    display_name: str
    platform: str
    time_zone: str
    default_currency: str
    location: str | None
    is_active: bool

    @staticmethod
    def resolve_location(obj: ChannelAccount) -> str | None:
        return obj.location.code if obj.location else None


@router.get("/accounts", response=list[AccountOut], summary="Channel accounts (no secrets)")
def list_accounts(request: HttpRequest) -> list[ChannelAccount]:
    require_perm(request, "channels.view_channelaccount")
    return list(ChannelAccount.objects.select_related("location"))


@router.post("/accounts", response={201: AccountOut, 400: ErrorOut})
def add_account(request: HttpRequest, data: AccountIn) -> Status:
    require_perm(request, "channels.add_channelaccount")
    try:
        account = create_account(
            name=data.name,
            platform=data.platform,
            display_name=data.display_name,
            secret=data.secret,
            time_zone=data.time_zone,
            currency=data.currency,
            location_code=data.location,
        )
    except (UnknownPlatform, ValueError) as exc:
        raise HttpError(400, str(exc)) from exc
    return Status(201, account)


API_BODY_LIMIT = 64_000
"""Bytes of a body in a dead letter of the API; the whole body is at ``body_url``."""


def _dead_letters() -> QuerySet[DeadLetter]:
    return with_body_head(
        DeadLetter.objects.select_related("payload", "account"), "payload__body", API_BODY_LIMIT
    )


class DeadLetterOut(Schema):
    id: int
    account: str
    received_at: datetime
    dead_lettered_at: datetime
    reason: str
    attempts: int
    state: str = Field(description="open, resolved (a replay made it orders) or dismissed.")
    resolved_at: datetime | None = Field(description="When it was resolved or dismissed.")
    dismissed_at: datetime | None
    dismissed_by: str
    dismissal_reason: str
    filename: str
    record: str
    content_type: str
    body: str = Field(
        description=f"The body as text, cut after {API_BODY_LIMIT} bytes: see body_truncated."
    )
    body_size: int = Field(description="Bytes of the whole stored body.")
    body_shown: int = Field(description="Bytes of the body that `body` holds.")
    body_truncated: bool
    body_url: str = Field(description="The whole body, byte for byte, as it was received.")

    @staticmethod
    def resolve_account(obj: DeadLetter) -> str:
        return obj.account.name

    @staticmethod
    def resolve_state(obj: DeadLetter) -> str:
        return str(obj.state)

    @staticmethod
    def resolve_received_at(obj: DeadLetter) -> datetime:
        return obj.payload.received_at

    @staticmethod
    def resolve_dead_lettered_at(obj: DeadLetter) -> datetime:
        return obj.created_at

    @staticmethod
    def resolve_reason(obj: DeadLetter) -> str:
        return bounded_reason(obj.reason)  # letters stored before reasons were bounded

    @staticmethod
    def resolve_filename(obj: DeadLetter) -> str:
        return obj.payload.filename

    @staticmethod
    def resolve_record(obj: DeadLetter) -> str:
        return obj.payload.record_label

    @staticmethod
    def resolve_content_type(obj: DeadLetter) -> str:
        return obj.payload.content_type

    @staticmethod
    def resolve_body(obj: DeadLetter) -> str:
        return _body(obj).text

    @staticmethod
    def resolve_body_size(obj: DeadLetter) -> int:
        return _body(obj).size

    @staticmethod
    def resolve_body_shown(obj: DeadLetter) -> int:
        return _body(obj).shown

    @staticmethod
    def resolve_body_truncated(obj: DeadLetter) -> bool:
        return _body(obj).truncated

    @staticmethod
    def resolve_body_url(obj: DeadLetter, context: dict[str, Any]) -> str:
        path = reverse("api:dead_letter_body", kwargs={"letter_id": obj.pk})
        request = context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


def _body(letter: DeadLetter) -> Body:
    """The letter's body as sent (decoded, not indented); a cheap decode of its head."""
    return head_of(letter, API_BODY_LIMIT, indent=False)


class DeadLetterPage(Schema):
    items: list[DeadLetterOut]
    count: int


class DeadLetterQuery(InputSchema):
    state: str = "open"
    account: str | None = None
    offset: int = Field(0, ge=0, le=2_147_483_647)
    limit: int = 50  # clamped to 1..200 below


@router.get(
    "/dead-letters",
    response={200: DeadLetterPage, 400: ErrorOut},
    summary="Payloads that could not be read",
)
def list_dead_letters(request: HttpRequest, q: Query[DeadLetterQuery]) -> dict[str, object]:
    require_perm(request, "channels.view_deadletter")
    letters = _dead_letters().order_by("-created_at")
    if q.state == DeadLetterState.OPEN:
        letters = letters.filter(resolved_at__isnull=True)
    elif q.state == DeadLetterState.RESOLVED:
        letters = letters.filter(resolved_at__isnull=False, dismissed_at__isnull=True)
    elif q.state == DeadLetterState.DISMISSED:
        letters = letters.filter(dismissed_at__isnull=False)
    elif q.state != "all":
        raise HttpError(400, "state must be one of open, resolved, dismissed, all")
    if q.account:
        letters = letters.filter(account__name=q.account)
    limit = max(1, min(q.limit, 200))
    # Dead letters stay few (they are worked off), so a count and offset paging are cheap here.
    return {"items": list(letters[q.offset : q.offset + limit]), "count": letters.count()}


@router.get(
    "/dead-letters/{letter_id}",
    response={200: DeadLetterOut, 404: ErrorOut},
    summary="One dead letter",
)
def get_dead_letter(request: HttpRequest, letter_id: int) -> DeadLetter:
    require_perm(request, "channels.view_deadletter")
    return get_object_or_404(_dead_letters(), pk=letter_id)


@router.get(
    "/dead-letters/{letter_id}/body",
    response={404: ErrorOut},
    url_name="dead_letter_body",
    summary="A dead letter's whole body, as it was received",
    openapi_extra={
        "responses": {
            "200": {
                "description": "The raw bytes, as an attachment, with the content type the "
                "sender gave (application/octet-stream when it was not a plain type).",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def dead_letter_body(request: HttpRequest, letter_id: int) -> HttpResponse:
    require_perm(request, "channels.view_deadletter")
    payload = get_object_or_404(InboundPayload, dead_letter__pk=letter_id)
    return attachment(bytes(payload.body), payload.content_type, f"dead-letter-{letter_id}")


class DismissIn(InputSchema):
    reason: str = Field(
        min_length=1,
        max_length=DISMISSAL_REASON_LIMIT,
        description="Why the letter is closed without a replay; recorded with who and when.",
    )


@router.post(
    "/dead-letters/{letter_id}/dismiss",
    response={200: DeadLetterOut, 400: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    summary="Close an open dead letter without replaying it, saying why",
    description=(
        "The letter leaves the open list and is shown as dismissed with the reason, who and "
        "when. It can still be replayed: a replay takes the dismissal back. 409 when the letter "
        "is not open (resolved, or dismissed already)."
    ),
)
def dismiss(request: HttpRequest, letter_id: int, data: DismissIn) -> DeadLetter:
    require_perm(request, "channels.dismiss_deadletter")
    get_object_or_404(DeadLetter, pk=letter_id)
    try:
        dismiss_dead_letter(letter_id, reason=data.reason, actor=Actor.for_user(request.user))
    except ValueError as exc:  # a reason of white space only
        raise ValidationError(
            [{"loc": ["body", "data", "reason"], "msg": str(exc).removeprefix("reason: ")}]
        ) from exc
    except DeadLetterClosed as exc:
        raise HttpError(409, f"dead letter {letter_id} is {exc.state}, not open") from exc
    return _dead_letters().get(pk=letter_id)


class ReplayOut(Schema):
    id: int
    outcome: str
    resolved: bool
    reason: str


@router.post(
    "/dead-letters/{letter_id}/replay", response={200: ReplayOut, 404: ErrorOut, 409: ErrorOut}
)
def replay(request: HttpRequest, letter_id: int) -> dict[str, object]:
    require_perm(request, "channels.replay_deadletter")
    get_object_or_404(DeadLetter, pk=letter_id)
    try:
        outcome = replay_dead_letter(letter_id, actor=Actor.for_user(request.user))
    except UnknownPlatform as exc:  # the account's platform is no longer one omnioms reads
        raise HttpError(409, str(exc)) from exc
    letter = DeadLetter.objects.get(pk=letter_id)
    return {
        "id": letter.pk,
        "outcome": str(outcome),
        "resolved": letter.resolved_at is not None,
        "reason": letter.reason,
    }
