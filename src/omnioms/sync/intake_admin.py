"""Back office for the durable intake: payloads and dead letters (registered by ``admin.py``).

Payloads and dead letters are the record of what channels sent, so the admin only reads
them; a dead letter changes only through a replay or a dismissal (with a reason). Bodies are
read from the database only as far as a page shows them.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from omnioms.channels.adapters import UnknownPlatform
from omnioms.channels.bodies import head_of, with_body_head
from omnioms.channels.models import DeadLetter, DeadLetterState, InboundPayload, bounded_reason
from omnioms.core.actor import Actor
from omnioms.sync.forms import DismissForm
from omnioms.sync.services import DeadLetterClosed, dismiss_dead_letter, replay_dead_letter

BODY_DISPLAY_LIMIT = 200_000
"""Characters of a raw body shown on a change page; the rest is cut with a note."""

REPLAY_PROBLEMS_SHOWN = 10
"""Reasons listed one by one after a replay; more would bury the summary."""


def body_html(payload_id: int, download: str = "") -> SafeString:
    """A stored body for reading in a change page: JSON indented, cut at
    ``BODY_DISPLAY_LIMIT``; only that much of it is read from the database."""
    payload = with_body_head(
        InboundPayload.objects.filter(pk=payload_id), limit=BODY_DISPLAY_LIMIT
    ).get()
    shown = head_of(payload, BODY_DISPLAY_LIMIT)
    note = ""
    if shown.truncated:
        note = gettext("Showing the first %(shown)s of %(size)s bytes.") % {
            "shown": shown.shown,
            "size": shown.size,
        }
    return format_html(
        '<pre style="white-space: pre-wrap; max-height: 40em; overflow: auto">{}</pre>{}{}',
        shown.text,
        format_html("<p>{}</p>", note) if note else "",
        format_html('<p><a href="{}" download>{}</a></p>', download, gettext("Download"))
        if download
        else "",
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
        return body_html(obj.pk)


class DeadLetterStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(DeadLetterState.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == DeadLetterState.OPEN:
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == DeadLetterState.RESOLVED:
            return queryset.filter(resolved_at__isnull=False, dismissed_at__isnull=True)
        if self.value() == DeadLetterState.DISMISSED:
            return queryset.filter(dismissed_at__isnull=False)
        return queryset


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ["pk", "account", "created_at", "short_reason", "attempts", "state_label"]
    list_filter = [DeadLetterStateFilter, "account"]
    list_select_related = ["account"]
    ordering = ["-created_at", "-pk"]
    actions = ["replay_selected", "dismiss_selected"]
    fields = readonly_fields = (
        "account",
        "payload_link",
        "created_at",
        "attempts",
        "last_attempt_at",
        "state_label",
        "resolved_at",
        "dismissed_at",
        "dismissed_by",
        "dismissal_reason",
        "reason_text",
        "payload_body",
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[DeadLetter]:
        # The payload link needs the payload's row, never its body (which body_html reads).
        return super().get_queryset(request).select_related("payload").defer("payload__body")

    @admin.display(description=_("reason"))
    def short_reason(self, obj: DeadLetter) -> str:
        return obj.reason if len(obj.reason) <= 120 else obj.reason[:119] + "…"

    @admin.display(description=_("reason"))
    def reason_text(self, obj: DeadLetter) -> SafeString:
        reason = bounded_reason(obj.reason)  # letters stored before reasons were bounded
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', reason)

    @admin.display(description=_("state"), ordering="resolved_at")
    def state_label(self, obj: DeadLetter) -> str:
        return str(obj.state.label)

    @admin.display(description=_("inbound payload"))
    def payload_link(self, obj: DeadLetter) -> SafeString | str:
        return admin_link(obj.payload)

    @admin.display(description=_("body"))
    def payload_body(self, obj: DeadLetter) -> SafeString:
        return body_html(obj.payload_id, reverse("web:dead_letter_body", args=[obj.pk]))

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.replay_deadletter")

    @admin.action(description=_("Replay selected dead letters"), permissions=["replay"])
    def replay_selected(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        actor = Actor.for_user(request.user)
        resolved = already = 0
        problems: list[str] = []
        for letter_id in queryset.order_by("pk").values_list("pk", flat=True):
            letter = DeadLetter.objects.get(pk=letter_id)
            if letter.state == DeadLetterState.RESOLVED:  # a dismissed one is taken back
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

    def has_dismiss_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.dismiss_deadletter")

    @admin.action(description=_("Dismiss selected dead letters…"), permissions=["dismiss"])
    def dismiss_selected(
        self, request: HttpRequest, queryset: QuerySet[DeadLetter]
    ) -> TemplateResponse | None:
        """Ask why (one reason for all of them), then dismiss the open ones."""
        form = DismissForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                "admin/channels/deadletter/dismiss_selected.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Dismiss dead letters"),
                    "opts": self.model._meta,
                    "letters": queryset.order_by("pk"),
                    "form": form,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        actor = Actor.for_user(request.user)
        dismissed = skipped = 0
        for letter_id in queryset.order_by("pk").values_list("pk", flat=True):
            try:
                dismiss_dead_letter(letter_id, reason=form.cleaned_data["reason"], actor=actor)
            except DeadLetterClosed:
                skipped += 1
            else:
                dismissed += 1
        if dismissed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d dead letter dismissed.",
                    "%(count)d dead letters dismissed.",
                    dismissed,
                )
                % {"count": dismissed},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d dead letter was not open and was skipped.",
                    "%(count)d dead letters were not open and were skipped.",
                    skipped,
                )
                % {"count": skipped},
                messages.INFO,
            )
        return None
