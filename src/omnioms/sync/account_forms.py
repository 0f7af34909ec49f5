"""The channel account form, shared by the back office and the product's account settings.

Secrets are write-only: the form never renders them, an empty submission keeps the stored
value. Besides the account's own fields it edits what the channel health page judges the
account by (``options["health"]``): a fixed silence threshold and the opening hours.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from omnioms.channels.clients.registry import is_connected
from omnioms.channels.models import ChannelAccount
from omnioms.sync.health import SILENCE_OPTION
from omnioms.sync.opening_hours import OPENING_HOURS_OPTION, WEEK, WEEKDAY_NAMES, configured_hours


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
    silence_after_hours = forms.DecimalField(
        label=_("Silent after (hours)"),
        required=False,
        min_value=Decimal("0.1"),
        max_value=Decimal(24 * 90),
        max_digits=6,
        decimal_places=1,
        help_text=_(
            "Warn on the channel health page after this many hours without an order (opening "
            "hours, for a store). Empty: judged from the account's usual gap between orders."
        ),
    )
    opens = forms.TimeField(
        label=_("Opens at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("In the account's time zone. Empty: a store opens 10:00–22:00 every day."),
    )
    closes = forms.TimeField(
        label=_("Closes at"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Before the opening time: after midnight."),
    )
    open_days = forms.TypedMultipleChoiceField(
        label=_("Open on"),
        required=False,
        coerce=int,
        choices=list(zip(WEEK, WEEKDAY_NAMES, strict=True)),
        widget=forms.CheckboxSelectMultiple,
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
    HEALTH_FIELDS = ("silence_after_hours", "opens", "closes", "open_days")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in self.SECRETS:
            # The stored secret must not reach the page, nor count as a change when left blank.
            self.initial.pop(name, None)
        self._stored = {name: getattr(self.instance, name) for name in self.SECRETS}
        self._options: dict[str, Any] = dict(self.instance.options or {})
        self.initial.update(self._health_initial())

    def _health_initial(self) -> dict[str, Any]:
        health = self._options.get("health")
        health = health if isinstance(health, dict) else {}
        initial: dict[str, Any] = {"open_days": list(WEEK)}
        if health.get(SILENCE_OPTION) not in (None, ""):
            initial["silence_after_hours"] = health[SILENCE_OPTION]
        try:
            hours = configured_hours(self._options)
        except ValueError:
            hours = None  # the health page warns of it; saving the form replaces it
        if hours is not None:
            initial.update(opens=hours.opens, closes=hours.closes, open_days=list(hours.days))
        return initial

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
        self._options = self._with_health(data)
        return data

    def _with_health(self, data: dict[str, Any]) -> dict[str, Any]:
        """The account's options with the health settings of the form; others kept as they are."""
        options = dict(self._options)
        health = dict(options["health"]) if isinstance(options.get("health"), dict) else {}
        hours = data.get("silence_after_hours")
        if hours is None:
            health.pop(SILENCE_OPTION, None)
        else:
            health[SILENCE_OPTION] = float(hours)
        opens, closes, days = data.get("opens"), data.get("closes"), data.get("open_days") or []
        if opens is None and closes is None:
            health.pop(OPENING_HOURS_OPTION, None)
        elif opens is None or closes is None:
            self.add_error(
                "closes" if closes is None else "opens",
                _("Enter both the opening and the closing time, or neither."),
            )
        elif opens == closes:
            self.add_error("closes", _("A store cannot close at the time it opens."))
        elif not days:
            self.add_error("open_days", _("Choose the days it opens."))
        else:
            health[OPENING_HOURS_OPTION] = {
                "opens": opens.strftime("%H:%M"),
                "closes": closes.strftime("%H:%M"),
                "days": sorted(days),
            }
        if health:
            options["health"] = health
        else:
            options.pop("health", None)
        return options

    @property
    def options(self) -> dict[str, Any]:
        """The account's options as this form would save them (call after clean)."""
        return self._options

    @property
    def newly_connected(self) -> bool:
        """Whether this save gives the account its first API credentials (call after clean)."""
        before = is_connected(self.instance.platform, self._stored["api_credentials"])
        after = is_connected(
            self.cleaned_data.get("platform") or self.instance.platform,
            self.cleaned_data.get("api_credentials"),
        )
        return after and not before

    def save(self, commit: bool = True) -> ChannelAccount:
        """Save the account with its health settings; a newly connected account is sent
        every figure it may sell once the transaction commits."""
        self.instance.options = self._options
        connected = self.newly_connected
        account: ChannelAccount = super().save(commit=commit)
        if connected:
            from omnioms.inventory.availability import queue_account_availability

            transaction.on_commit(
                lambda: queue_account_availability(account.pk) if account.pk else None
            )
        return account

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
