"""Forms of the web UI: the order list's filters, a note or a shipment on an order, the
dead-letter filter."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.channels.models import ChannelAccount
from omnioms.core.choices import OrderStatus, Platform
from omnioms.core.models import Location
from omnioms.orders.selectors import EARLIEST_DAY, LATEST_DAY, OrderFilters
from omnioms.web.selectors import DeadLetterState, ListFilters

_DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# 0001-01-01 or 9999-12-31 would overflow once made a time in the business time zone and UTC.
_ORDER_DAYS = [MinValueValidator(EARLIEST_DAY), MaxValueValidator(LATEST_DAY)]


def business_day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in ``settings.TIME_ZONE``, as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class OrderFilterForm(forms.Form):
    """The order list's query string. Every field is optional; an empty form lists every order.

    ``cursor`` is the keyset page position; the filter form itself never renders it, so that a
    change of filters starts again from the first page.
    """

    channel = forms.ChoiceField(label=_("Channel"), required=False)
    account = forms.ChoiceField(label=_("Account"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    placed_from = forms.DateField(
        label=_("Placed from"),
        required=False,
        widget=_DATE_WIDGET,
        input_formats=["%Y-%m-%d"],
        validators=_ORDER_DAYS,
    )
    placed_to = forms.DateField(
        label=_("Placed to"),
        required=False,
        widget=_DATE_WIDGET,
        input_formats=["%Y-%m-%d"],
        validators=_ORDER_DAYS,
    )
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("External id or buyer")}),
    )
    location = forms.ChoiceField(label=_("Fulfilled from"), required=False)
    sku = forms.CharField(label=_("SKU"), required=False, max_length=200, strip=True)
    ship_by = forms.DateField(
        label=_("Must ship by"),
        required=False,
        widget=_DATE_WIDGET,
        input_formats=["%Y-%m-%d"],
        validators=_ORDER_DAYS,
        help_text=_("Orders still to ship whose deadline is this day or earlier."),
    )
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[
            ("-placed", _("Newest first")),
            ("placed", _("Oldest first")),
            ("-total", _("Largest total first")),
            ("total", _("Smallest total first")),
        ],
    )
    cursor = forms.CharField(label=_("Page"), required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        accounts: Iterable[ChannelAccount] = (),
        locations: Iterable[Location] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [  # type: ignore[attr-defined]
            ("", _("All")),
            *((str(location.pk), f"{location.code} · {location.name}") for location in locations),
        ]
        everything = ("", _("All"))
        self.fields["channel"].choices = [everything, *Platform.choices]  # type: ignore[attr-defined]
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            everything,
            *((account.name, str(account)) for account in accounts),
        ]
        self.fields["status"].choices = [everything, *OrderStatus.choices]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("placed_from"), cleaned.get("placed_to")
        if start and end and end < start:
            self.add_error(
                "placed_to",
                _("%(to)s must not be before %(from)s.")
                % {"to": self.fields["placed_to"].label, "from": self.fields["placed_from"].label},
            )
        return cleaned

    def filters(self) -> OrderFilters:
        """The cleaned fields as the selector's filters; call after ``is_valid()``.

        Dates are whole business days in ``settings.TIME_ZONE``: "to" includes its own day.
        """
        data = self.cleaned_data
        start: date | None = data.get("placed_from")
        end: date | None = data.get("placed_to")
        return OrderFilters(
            channel=data.get("channel") or None,
            account=data.get("account") or None,
            status=data.get("status") or None,
            placed_from=business_day_start(start) if start else None,
            placed_to=business_day_start(end + timedelta(days=1)) if end else None,
            search=data.get("q") or None,
        )

    def list_filters(self) -> ListFilters:
        """The filters of the list beyond ``orders.selectors`` (``sales.order_queries``)."""
        data = self.cleaned_data
        day: date | None = data.get("ship_by")
        location = data.get("location")
        return ListFilters(
            location_id=int(location) if location else None,
            sku=data.get("sku") or None,
            ship_by=business_day_start(day + timedelta(days=1)) if day else None,
            sort=data.get("sort") or "-placed",
        )


class BulkShipForm(forms.Form):
    """One carrier for the selected orders; each order's tracking number is its own field."""

    carrier = forms.CharField(label=_("Carrier"), max_length=100, strip=True)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=4000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ShipmentForm(forms.Form):
    """The whole order shipped with one tracking number (``sync.outbound.request_shipment``)."""

    carrier = forms.CharField(
        label=_("Carrier"),
        max_length=100,
        strip=True,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. SF Express")}),
    )
    tracking_number = forms.CharField(label=_("Tracking number"), max_length=100, strip=True)


class DeadLetterFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        choices=DeadLetterState.choices,
        required=False,
    )

    def state_value(self) -> DeadLetterState:
        if self.is_valid() and self.cleaned_data.get("state"):
            return DeadLetterState(self.cleaned_data["state"])
        return DeadLetterState.OPEN
