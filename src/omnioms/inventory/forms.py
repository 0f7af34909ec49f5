"""Forms of the stock pages: the stock filter, receipts, adjustments and counts, transfers.

A movement above the ceiling comes back for confirmation (``views._stock_form_page``): the
page shows the figure and what it does, with a checkbox; the figure confirmed travels in a
hidden field, so that a figure changed on that page is not confirmed unseen.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from omnioms.core.models import Location
from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES
from omnioms.inventory.domain import STOCK_LIMIT

# What the columns hold on both databases (see inventory/api.py): larger numbers are a field
# error, not a 500 from the database or a stored cost that cannot be read back.
MAX_QUANTITY = STOCK_LIMIT
MAX_AMOUNT = Decimal(10 ** (AMOUNT_DIGITS - AMOUNT_PLACES) - 1)


def _location_choices(locations: Iterable[Location], *, blank: Any = None) -> list[Any]:
    choices = [(loc.code, str(loc)) for loc in locations]
    return [("", blank), *choices] if blank is not None else choices


class StockFilterForm(forms.Form):
    sku = forms.CharField(
        label=_("SKU"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Start of a SKU code")}),
    )
    location = forms.ChoiceField(label=_("Location"), required=False)
    low = forms.BooleanField(label=_("Below reorder point only"), required=False)

    def __init__(self, *args: Any, locations: Iterable[Location] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = _location_choices(locations, blank=_("All"))  # type: ignore[attr-defined]


class _StockForm(forms.Form):
    CONFIRMATION_FIELDS = ("confirm", "confirm_figure")

    sku = forms.CharField(label=_("SKU"), max_length=100)
    # Shown only on the confirmation step (inventory/_form.html), not among the fields.
    confirm = forms.BooleanField(label=_("Yes, this figure is right"), required=False)
    confirm_figure = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, locations: Iterable[Location] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = _location_choices(list(locations))
        for name in ("location", "from_location", "to_location"):
            if name in self.fields:
                self.fields[name].choices = choices  # type: ignore[attr-defined]

    def entry_fields(self) -> list[Any]:
        return [f for f in self if f.name not in self.CONFIRMATION_FIELDS]

    def confirmed(self) -> bool:
        """The person ticked the box under the very figure they submit now."""
        data = self.cleaned_data
        return bool(data.get("confirm")) and data.get("confirm_figure") == data.get("quantity")


class ReceiptForm(_StockForm):
    location = forms.ChoiceField(label=_("Location"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    unit_cost = forms.DecimalField(
        label=_("Unit cost"),
        required=False,
        min_value=0,
        max_value=MAX_AMOUNT,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
    )
    reference = forms.CharField(label=_("Reference"), required=False, max_length=200)


class AdjustmentForm(_StockForm):
    ADJUST = "adjust"
    COUNT = "count"

    location = forms.ChoiceField(label=_("Location"))
    mode = forms.ChoiceField(
        label=_("What happened"),
        choices=[
            (ADJUST, _("Stock went up or down by")),
            (COUNT, _("A count found")),
        ],
        widget=forms.RadioSelect,
        initial=ADJUST,
    )
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        help_text=_("For a change: negative when stock went down. For a count: units found."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=500)


class TransferForm(_StockForm):
    from_location = forms.ChoiceField(label=_("From"))
    to_location = forms.ChoiceField(label=_("To"))
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)

    def __init__(
        self,
        *args: Any,
        locations: Iterable[Location] = (),
        targets: Iterable[Location] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, locations=locations, **kwargs)
        self.fields["to_location"].choices = _location_choices(targets)  # type: ignore[attr-defined]
