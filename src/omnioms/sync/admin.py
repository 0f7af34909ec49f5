"""Back office for channel accounts, polling and outbound commands; payloads and dead letters
are in :mod:`omnioms.sync.intake_admin`.

Secrets are write-only here: the form never renders them, an empty submission keeps the
stored value, and a user who may only view an account sees whether each secret is set, never
its value.
"""

from __future__ import annotations

import json
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from omnioms.channels.models import ChannelAccount, OutboundCommand, SyncState
from omnioms.sync.intake_admin import ReadOnlyAdmin, admin_link

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


class SecretTextarea(forms.Textarea):
    """A textarea that never renders its value, not even the one just posted."""

    def format_value(self, value: Any) -> str | None:
        return None


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
    api_credentials = forms.CharField(
        label=_("API credentials"),
        required=False,
        strip=True,
        widget=SecretTextarea(attrs={"rows": 4, "cols": 60, "autocomplete": "off"}),
        help_text=_(
            'A JSON object with the keys the platform\'s client reads, such as {"base_url": '
            '"https://shop.example", "token": "…"} (each client module lists them). Never shown; '
            "leave empty to keep the stored credentials. An account with credentials is polled."
        ),
    )
    clear_api_credentials = forms.BooleanField(
        label=_("Clear the API credentials"),
        required=False,
        help_text=_("Stops polling the platform and sending shipments to it."),
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
            "api_credentials",
            "is_active",
        ]

    SECRETS = ("webhook_secret", "previous_webhook_secret", "api_credentials")

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
        data["api_credentials"] = self._api_credentials(data)
        return data

    def _api_credentials(self, data: dict[str, Any]) -> dict[str, Any]:
        """The credentials to store: the entered JSON object, checked by building the
        platform's client from it (no request is made); else the stored ones, or none."""
        stored: dict[str, Any] = self._stored["api_credentials"] or {}
        text = data.get("api_credentials") or ""
        if data.get("clear_api_credentials"):
            if text:
                self.add_error(
                    "clear_api_credentials",
                    _("Either enter API credentials or clear them, not both."),
                )
            return {}
        if not text:
            return stored
        try:
            value = json.loads(text)
        except ValueError as exc:
            self.add_error(
                "api_credentials",
                _("Not valid JSON: %(problem)s.") % {"problem": exc},
            )
            return stored
        if not isinstance(value, dict) or not value:
            self.add_error(
                "api_credentials",
                _('Enter a JSON object of keys and values, such as {"token": "…"}.'),
            )
            return stored
        problem = _client_problem(data, value)
        if problem:
            self.add_error(
                "api_credentials",
                _("These credentials cannot be used: %(problem)s") % {"problem": problem},
            )
        return value


def _client_problem(data: dict[str, Any], credentials: dict[str, Any]) -> str:
    """What the platform's client says about the credentials when it is built from them."""
    from omnioms.channels.clients import ClientError
    from omnioms.channels.clients.registry import client_for

    trial = ChannelAccount(
        name=data.get("name") or "new",
        platform=data.get("platform") or "",
        time_zone=data.get("time_zone") or "Asia/Shanghai",
        api_credentials=credentials,
    )
    try:
        client_for(trial).close()
    except ClientError as exc:
        return str(exc)
    return ""


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
                    "fields": [
                        self.SECRET_STATES.get(field, field)
                        for field in flatten(options["fields"])
                        if field not in self.SECRET_INPUTS_ONLY
                    ],
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
