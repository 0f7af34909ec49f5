"""Back office for channel accounts and the durable intake.

Secrets are write-only here: the form never renders them, and an empty submission keeps the
stored value. Payloads and dead letters are the record of what channels sent, so the admin
only reads them; a dead letter changes only through a replay.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from omnioms.channels.adapters import UnknownPlatform
from omnioms.channels.models import ChannelAccount, DeadLetter, InboundPayload
from omnioms.channels.services import replay_dead_letter
from omnioms.core.actor import Actor
from omnioms.web.presenters import body_text

BODY_DISPLAY_LIMIT = 200_000
"""Characters of a raw body shown on a change page; the rest is cut with a note."""

REPLAY_PROBLEMS_SHOWN = 10
"""Reasons listed one by one after a replay; more would bury the summary."""


# ----------------------------------------------------------------------------------------------
# Accounts


class SecretField(forms.CharField):
    """A write-only secret: never rendered, and left blank to keep the stored one."""

    widget = forms.PasswordInput(render_value=False)

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)


class ChannelAccountForm(forms.ModelForm):
    webhook_secret = SecretField(
        label=_("Webhook secret"),
        help_text=_("Leave empty to keep the stored secret."),
    )
    previous_webhook_secret = SecretField(
        label=_("Previous webhook secret"),
        help_text=_(
            "Still accepted while the platform rotates its secret. "
            "Leave empty to keep the stored one."
        ),
    )
    keep_replaced_secret = forms.BooleanField(
        label=_("Keep the replaced secret as the previous one"),
        required=False,
        help_text=_("When you enter a new webhook secret, the old one stays valid for now."),
    )
    clear_previous_webhook_secret = forms.BooleanField(
        label=_("Clear the previous webhook secret"),
        required=False,
        help_text=_("Once the platform signs with the new secret only."),
    )

    class Meta:
        model = ChannelAccount
        fields = [
            "name",
            "display_name",
            "platform",
            "location",
            "time_zone",
            "default_currency",
            "webhook_secret",
            "previous_webhook_secret",
            "is_active",
        ]

    SECRETS = ("webhook_secret", "previous_webhook_secret")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.SECRETS:
            # The stored secret must not reach the page, nor count as a change when left blank.
            self.initial.pop(name, None)
        self._stored = {name: getattr(self.instance, name) for name in self.SECRETS}

    def clean_time_zone(self) -> str:
        value: str = self.cleaned_data["time_zone"]
        try:
            ZoneInfo(value)
        except (KeyError, ValueError):
            raise forms.ValidationError(
                _("%(zone)s is not an IANA time zone such as Asia/Shanghai."),
                code="time_zone",
                params={"zone": value},
            ) from None
        return value

    def clean_default_currency(self) -> str:
        value: str = self.cleaned_data["default_currency"].strip().upper()
        if len(value) != 3 or not value.isalpha():
            raise forms.ValidationError(
                _("Enter a three-letter ISO 4217 code such as CNY."), code="currency"
            )
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        new_secret = data.get("webhook_secret") or ""
        new_previous = data.get("previous_webhook_secret") or ""
        if data.get("clear_previous_webhook_secret") and new_previous:
            self.add_error(
                "clear_previous_webhook_secret",
                _("Either enter a previous secret or clear it, not both."),
            )
        if data.get("keep_replaced_secret") and new_previous:
            self.add_error(
                "keep_replaced_secret",
                _("Either enter a previous secret or keep the replaced one, not both."),
            )
        stored_secret = self._stored["webhook_secret"]
        previous = new_previous or self._stored["previous_webhook_secret"]
        if data.get("clear_previous_webhook_secret"):
            previous = ""
        replacing = stored_secret and new_secret and new_secret != stored_secret
        if replacing and data.get("keep_replaced_secret"):
            previous = stored_secret
        data["webhook_secret"] = new_secret or stored_secret
        data["previous_webhook_secret"] = previous
        return data


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = [
        "name",
        "display_name",
        "platform",
        "location",
        "time_zone",
        "default_currency",
        "is_active",
        "webhook_secret_set",
    ]
    list_filter = ["platform", "is_active"]
    list_select_related = ["location"]
    search_fields = ["name", "display_name"]
    readonly_fields = ["api_credentials_state", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "name",
                    "display_name",
                    "platform",
                    "location",
                    "time_zone",
                    "default_currency",
                    "is_active",
                    "created_at",
                ]
            },
        ),
        (
            _("Secrets"),
            {
                "fields": [
                    "webhook_secret",
                    "keep_replaced_secret",
                    "previous_webhook_secret",
                    "clear_previous_webhook_secret",
                    "api_credentials_state",
                ],
                "description": _("Secrets are never shown. Enter a value only to replace one."),
            },
        ),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Orders and payloads point at the account for good; deactivate it instead.
        return False

    @admin.display(description=_("webhook secret set"), boolean=True)
    def webhook_secret_set(self, obj: ChannelAccount) -> bool:
        return bool(obj.webhook_secret)

    @admin.display(description=_("API credentials"))
    def api_credentials_state(self, obj: ChannelAccount) -> str:
        return gettext("set") if obj.api_credentials else gettext("not set")


# ----------------------------------------------------------------------------------------------
# Payloads and dead letters


def body_html(body: bytes | memoryview) -> SafeString:
    """A raw body for reading in a change page: JSON indented, cut at ``BODY_DISPLAY_LIMIT``."""
    shown = body_text(body, limit=BODY_DISPLAY_LIMIT)
    note = ""
    if shown.truncated:
        note = gettext("Cut off after %(limit)s characters; the body has %(size)s bytes.") % {
            "limit": BODY_DISPLAY_LIMIT,
            "size": shown.size,
        }
    return format_html(
        '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>{}',
        shown.text,
        format_html("<p>{}</p>", note) if note else "",
    )


def admin_link(obj: Any) -> SafeString | str:
    if obj is None:
        return "-"
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return format_html('<a href="{}">{}</a>', url, obj)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable, never added, changed or deleted through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(InboundPayload)
class InboundPayloadAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "account",
        "source",
        "received_at",
        "topic",
        "outcome",
        "event_id",
        "order_link",
    ]
    list_filter = ["account", "source", "outcome"]
    list_select_related = ["account", "order"]
    date_hierarchy = "received_at"
    ordering = ["-pk"]
    show_full_result_count = False  # one row per delivery: millions of them
    fields = readonly_fields = (
        "account",
        "source",
        "received_at",
        "outcome",
        "order_link",
        "dead_letter_link",
        "topic",
        "event_id",
        "delivery_id",
        "dedupe_key",
        "filename",
        "record_label",
        "content_type",
        "sha256",
        "headers",
        "body_text",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboundPayload]:
        # Bodies run to megabytes: the list needs none, the change page loads its one.
        return super().get_queryset(request).defer("body", "headers")

    @admin.display(description=_("order"))
    def order_link(self, obj: InboundPayload) -> SafeString | str:
        return admin_link(obj.order)

    @admin.display(description=_("dead letter"))
    def dead_letter_link(self, obj: InboundPayload) -> SafeString | str:
        return admin_link(DeadLetter.objects.filter(payload=obj).first())

    @admin.display(description=_("body"))
    def body_text(self, obj: InboundPayload) -> SafeString:
        return body_html(obj.body)


class DeadLetterStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("Open")), ("resolved", _("Resolved"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "resolved":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["pk", "account", "created_at", "short_reason", "attempts", "resolved"]
    list_filter = [DeadLetterStateFilter, "account"]
    list_select_related = ["account"]
    ordering = ["-created_at", "-pk"]
    actions = ["replay_selected"]
    fields = readonly_fields = (
        "account",
        "payload_link",
        "created_at",
        "attempts",
        "last_attempt_at",
        "resolved_at",
        "reason_text",
        "payload_body",
    )

    @admin.display(description=_("reason"))
    def short_reason(self, obj: DeadLetter) -> str:
        return obj.reason if len(obj.reason) <= 120 else obj.reason[:119] + "…"

    @admin.display(description=_("reason"))
    def reason_text(self, obj: DeadLetter) -> SafeString:
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', obj.reason)

    @admin.display(description=_("resolved"), boolean=True, ordering="resolved_at")
    def resolved(self, obj: DeadLetter) -> bool:
        return obj.resolved_at is not None

    @admin.display(description=_("inbound payload"))
    def payload_link(self, obj: DeadLetter) -> SafeString | str:
        return admin_link(obj.payload)

    @admin.display(description=_("body"))
    def payload_body(self, obj: DeadLetter) -> SafeString:
        return body_html(obj.payload.body)

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.replay_deadletter")

    @admin.action(description=_("Replay selected dead letters"), permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        actor = Actor.for_user(request.user)
        resolved = already = 0
        problems: list[str] = []
        for letter_id in queryset.order_by("pk").values_list("pk", flat=True):
            letter = DeadLetter.objects.get(pk=letter_id)
            if letter.resolved_at is not None:
                already += 1
                continue
            try:
                replay_dead_letter(letter_id, actor=actor)
            except UnknownPlatform as exc:
                problems.append(
                    gettext("Dead letter %(id)s cannot be replayed: %(reason)s")
                    % {"id": letter_id, "reason": exc}
                )
                continue
            letter.refresh_from_db()
            if letter.resolved_at is None:
                problems.append(
                    gettext("Dead letter %(id)s still fails: %(reason)s")
                    % {"id": letter_id, "reason": letter.reason}
                )
            else:
                resolved += 1
        if resolved:
            self.message_user(
                request,
                ngettext(
                    "%(count)d dead letter replayed and resolved.",
                    "%(count)d dead letters replayed and resolved.",
                    resolved,
                )
                % {"count": resolved},
                messages.SUCCESS,
            )
        if already:
            self.message_user(
                request,
                ngettext(
                    "%(count)d dead letter was already resolved and was skipped.",
                    "%(count)d dead letters were already resolved and were skipped.",
                    already,
                )
                % {"count": already},
                messages.INFO,
            )
        if problems:
            self.message_user(
                request,
                ngettext(
                    "%(count)d dead letter still fails.",
                    "%(count)d dead letters still fail.",
                    len(problems),
                )
                % {"count": len(problems)},
                messages.WARNING,
            )
        for problem in problems[:REPLAY_PROBLEMS_SHOWN]:
            self.message_user(request, problem, messages.WARNING)
