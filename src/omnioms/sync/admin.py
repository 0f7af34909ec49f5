"""Back office for channel accounts, polling and outbound commands; payloads and dead letters
are in :mod:`omnioms.sync.intake_admin`.

Secrets are write-only here (``account_forms.ChannelAccountForm``): the form never renders
them, an empty submission keeps the stored value, and a user who may only view an account
sees whether each secret is set, never its value. Payloads and dead letters are in
``intake_admin.py``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from omnioms.channels.models import (
    ChannelAccount,
    OutboundCommand,
    SyncState,
)
from omnioms.sync.account_forms import ChannelAccountForm
from omnioms.sync.intake_admin import ReadOnlyAdmin, admin_link

# ----------------------------------------------------------------------------------------------
# Accounts (the form is shared with the product's account settings)


class SyncStateInline(admin.StackedInline):
    """The account's polling switch and schedule, on the account's page, so that polling can
    be switched off before the first poll (the worker polls an account with credentials)."""

    model = SyncState
    fields = ["pull_enabled", "poll_interval_seconds", "overlap_seconds"]
    can_delete = False
    extra = 1
    max_num = 1
    verbose_name = _("polling")
    verbose_name_plural = _("polling")


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    inlines = [SyncStateInline]
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
    readonly_fields = [
        "api_credentials_state",
        "health_settings",
        "created_at",
        "webhook_secret_set",
        "previous_webhook_secret_set",
    ]
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
                    "api_credentials",
                    "clear_api_credentials",
                ],
                "description": _("Secrets are never shown. Enter a value only to replace one."),
            },
        ),
        (
            _("Channel health"),
            {
                "fields": list(ChannelAccountForm.HEALTH_FIELDS),
                "description": _(
                    "What the channel health page judges the account by. Empty: its usual gap "
                    "between orders, and a store's default opening hours."
                ),
            },
        ),
    ]

    SECRET_STATES = {
        "webhook_secret": "webhook_secret_set",
        "previous_webhook_secret": "previous_webhook_secret_set",
    }
    """Secret field -> the read-only display saying whether it is set, for view-only users."""

    SECRET_INPUTS_ONLY = frozenset(
        {
            "api_credentials",  # api_credentials_state says whether they are set
            "keep_replaced_secret",
            "clear_previous_webhook_secret",
            "clear_api_credentials",
        }
    )
    """Form-only fields, and secrets with a state display already in the fieldsets: left out
    of the view-only page."""

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or self.has_change_permission(request, obj):
            return fieldsets  # the write-only inputs, which never render a stored value
        # Without change permission Django shows every field of the fieldsets as text, which
        # would print the stored secrets and credentials: show only whether each one is set.
        return [
            (
                name,
                {
                    **options,
                    **(
                        {"description": _("Secrets are never shown, only whether each is set.")}
                        if "description" in options
                        else {}
                    ),
                    "fields": list(
                        dict.fromkeys(
                            self.SECRET_STATES.get(field, field)
                            if field not in ChannelAccountForm.HEALTH_FIELDS
                            else "health_settings"
                            for field in flatten(options["fields"])
                            if field not in self.SECRET_INPUTS_ONLY
                        )
                    ),
                },
            )
            for name, options in fieldsets
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Orders and payloads point at the account for good; deactivate it instead.
        return False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not SyncState:
            super().save_formset(request, form, formset, change)
            return
        for state in formset.save(commit=False):
            save_sync_settings(state)

    @admin.display(description=_("webhook secret set"), boolean=True)
    def webhook_secret_set(self, obj: ChannelAccount) -> bool:
        return bool(obj.webhook_secret)

    @admin.display(description=_("previous webhook secret set"), boolean=True)
    def previous_webhook_secret_set(self, obj: ChannelAccount) -> bool:
        return bool(obj.previous_webhook_secret)

    @admin.display(description=_("API credentials"))
    def api_credentials_state(self, obj: ChannelAccount) -> str:
        return gettext("set") if obj.api_credentials else gettext("not set")

    @admin.display(description=_("channel health"))
    def health_settings(self, obj: ChannelAccount) -> str:
        health = obj.options.get("health") if isinstance(obj.options, dict) else None
        return json.dumps(health or {}, ensure_ascii=False)


# ----------------------------------------------------------------------------------------------
# Pulls and outbound commands (sync/pull.py, reconcile.py, outbound.py)


SYNC_STATE_FIELDS: tuple[str, ...] = (
    "account",
    "pull_enabled",
    "poll_interval_seconds",
    "overlap_seconds",
    "cursor",
    "next_poll_at",
    "last_poll_started_at",
    "last_poll_succeeded_at",
    "last_poll_orders",
    "failures",
    "last_poll_error",
    "window_start",
    "window_end",
    "thin_scanned_id",
    "last_reconciled_at",
    "next_reconcile_at",
    "reconcile_since",
    "platform_order_count",
    "our_order_count",
    "missing_count",
    "stale_count",
    "last_reconcile_error",
)
SYNC_STATE_EDITABLE = frozenset({"pull_enabled", "poll_interval_seconds", "overlap_seconds"})


def save_sync_settings(state: SyncState) -> None:
    """Save only the settings a person edits: the worker moves the cursor and the window
    meanwhile, and a whole-row save would put back the values the form was loaded with."""
    if state._state.adding:
        state.save()
    else:
        state.save(update_fields=sorted(SYNC_STATE_EDITABLE))


@admin.register(SyncState)
class SyncStateAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "pull_enabled",
        "cursor",
        "last_poll_succeeded_at",
        "failures",
        "short_poll_error",
        "last_reconciled_at",
        "platform_order_count",
        "our_order_count",
    ]
    list_filter = ["pull_enabled"]
    list_select_related = ["account"]
    fields = SYNC_STATE_FIELDS
    readonly_fields = [name for name in SYNC_STATE_FIELDS if name not in SYNC_STATE_EDITABLE]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # made by the first poll of an account, or on the account's page

    def save_model(self, request: HttpRequest, obj: SyncState, form: Any, change: bool) -> None:
        save_sync_settings(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("last poll error"))
    def short_poll_error(self, obj: SyncState) -> str:
        error = obj.last_poll_error
        return error if len(error) <= 80 else error[:79] + "…"


@admin.register(OutboundCommand)
class OutboundCommandAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        "account",
        "order_link",
        "kind",
        "state",
        "attempts",
        "next_attempt_at",
        "short_error",
        "created_at",
    ]
    list_filter = ["state", "kind", "account"]
    list_select_related = ["account", "order"]
    ordering = ["-pk"]
    actions = ["retry_selected"]
    fields = readonly_fields = (
        "account",
        "order_link",
        "kind",
        "state",
        "payload",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_by",
        "created_at",
        "updated_at",
        "sent_at",
    )

    @admin.display(description=_("order"))
    def order_link(self, obj: OutboundCommand) -> SafeString | str:
        return admin_link(obj.order)

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboundCommand) -> str:
        return obj.last_error if len(obj.last_error) <= 100 else obj.last_error[:99] + "…"

    def has_retry_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("channels.change_outboundcommand")

    @admin.action(description=_("Retry selected failed commands"), permissions=["retry"])
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboundCommand]) -> None:
        from omnioms.sync.outbound import retry_commands

        count = retry_commands(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "%(count)d failed command queued again.",
                "%(count)d failed commands queued again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.INFO,
        )
