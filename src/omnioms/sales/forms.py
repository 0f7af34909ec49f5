"""Forms of the sales pages. They read what a person typed; the rules are the services' and
the contract's, and their errors come back onto these forms by field."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

from omnioms.channels.contract import AMOUNT_MAX, MAX_QUANTITY
from omnioms.channels.models import ChannelAccount
from omnioms.core.choices import OrderStatus
from omnioms.sales.domain import InvoiceRequest, PriceLine
from omnioms.sales.models import InquirySource, InvoiceKind, PaymentMethod
from omnioms.sales.services import LineInput

_AMOUNT = {
    "max_digits": 18,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(AMOUNT_MAX)],
}
_PERCENT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}
_QUANTITY = [MinValueValidator(1), MaxValueValidator(MAX_QUANTITY)]


class OrderEntryForm(forms.Form):
    """An order keyed in by staff: the head; the lines are :class:`EntryLineForm` rows."""

    account = forms.ChoiceField(label=_("Account"))
    external_id = forms.CharField(
        label=_("Order id"),
        required=False,
        max_length=100,
        help_text=_("Leave empty for a new id."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (OrderStatus.PENDING_PAYMENT.value, OrderStatus.PENDING_PAYMENT.label),
            (OrderStatus.PAID.value, OrderStatus.PAID.label),
        ],
        initial=OrderStatus.PAID.value,
    )
    buyer_name = forms.CharField(label=_("Buyer"), max_length=200)
    buyer_phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    buyer_email = forms.EmailField(label=_("E-mail"), max_length=254, required=False)
    ship_name = forms.CharField(label=_("Recipient"), max_length=200, required=False)
    province = forms.CharField(label=_("Province"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    district = forms.CharField(label=_("District"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    shipping = forms.DecimalField(label=_("Shipping"), initial=0, **_AMOUNT)  # type: ignore[arg-type]
    order_discount = forms.DecimalField(label=_("Order discount"), initial=0, **_AMOUNT)  # type: ignore[arg-type]
    note = forms.CharField(
        label=_("Seller note"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, accounts: list[ChannelAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.accounts = {account.name: account for account in accounts}
        self.fields["account"].choices = [(a.name, str(a)) for a in accounts]  # type: ignore[attr-defined]

    def ship_to(self) -> dict[str, str]:
        data = self.cleaned_data
        address = {
            "name": data.get("ship_name") or "",
            "phone": data.get("buyer_phone") or "",
            "province": data.get("province") or "",
            "city": data.get("city") or "",
            "district": data.get("district") or "",
            "address": data.get("address") or "",
            "postal_code": data.get("postal_code") or "",
        }
        return address if address["address"] else {}


class EntryLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=200)
    title = forms.CharField(label=_("Title"), max_length=500, required=False)
    # No initial values: an untouched extra row must stay empty (``has_changed``) and be left out.
    quantity = forms.IntegerField(label=_("Quantity"), validators=_QUANTITY)
    unit_price = forms.DecimalField(label=_("Unit price"), **_AMOUNT)  # type: ignore[arg-type]
    discount_percent = forms.DecimalField(label=_("Discount (%)"), required=False, **_PERCENT)  # type: ignore[arg-type]

    def line(self) -> PriceLine:
        data = self.cleaned_data
        return PriceLine(
            data["sku"].strip(),
            data.get("title") or "",
            data["quantity"],
            data["unit_price"],
            data.get("discount_percent") or Decimal(0),
        )


EntryLineFormSet = forms.formset_factory(EntryLineForm, extra=4, min_num=1, validate_min=True)


class InvoiceForm(forms.Form):
    """What a Chinese VAT invoice request needs (``domain.InvoiceRequest``)."""

    kind = forms.ChoiceField(label=_("Invoice"), choices=InvoiceKind.choices)
    is_company = forms.BooleanField(label=_("Company buyer"), required=False)
    buyer_name = forms.CharField(label=_("Buyer name (发票抬头)"), max_length=200)
    tax_number = forms.CharField(
        label=_("Taxpayer identification number (税号)"), max_length=20, required=False
    )
    address = forms.CharField(label=_("Registered address"), max_length=300, required=False)
    phone = forms.CharField(label=_("Registered phone"), max_length=50, required=False)
    bank = forms.CharField(label=_("Bank"), max_length=200, required=False)
    bank_account = forms.CharField(label=_("Bank account"), max_length=50, required=False)

    def request(self) -> InvoiceRequest:
        data = self.cleaned_data
        return InvoiceRequest(
            kind=data["kind"],
            is_company=bool(data.get("is_company")),
            buyer_name=data.get("buyer_name") or "",
            tax_number=data.get("tax_number") or "",
            address=data.get("address") or "",
            phone=data.get("phone") or "",
            bank=data.get("bank") or "",
            bank_account=data.get("bank_account") or "",
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            for name, problem in self.request().problems().items():
                self.add_error(name if name in self.fields else None, problem)
        return cleaned


class CounterCheckoutForm(forms.Form):
    buyer_name = forms.CharField(label=_("Customer"), max_length=200, required=False)
    buyer_phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    paid = forms.DecimalField(
        label=_("Amount paid"),
        required=False,
        help_text=_("Empty: paid in full. Less than the total: a deposit."),
        **_AMOUNT,  # type: ignore[arg-type]
    )
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    fulfilment = forms.ChoiceField(
        label=_("Goods"),
        choices=[("hand_over", _("Hand over now")), ("ship", _("Ship to the customer"))],
        widget=forms.RadioSelect,
        initial="hand_over",
    )
    province = forms.CharField(label=_("Province"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    want_invoice = forms.BooleanField(label=_("Issue an invoice"), required=False)
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class CounterScanForm(forms.Form):
    code = forms.CharField(
        label=_("Scan or search a SKU"),
        max_length=200,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "inputmode": "search"}
        ),
    )


class InquiryForm(forms.Form):
    contact_name = forms.CharField(label=_("Name"), max_length=200)
    contact_phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    contact_handle = forms.CharField(label=_("WeChat or Douyin id"), max_length=100, required=False)
    source = forms.ChoiceField(label=_("Came through"), choices=InquirySource.choices)
    wants = forms.CharField(
        label=_("What they want"), max_length=4000, widget=forms.Textarea({"rows": 3})
    )


class QuoteLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=100)
    quantity = forms.IntegerField(label=_("Quantity"), validators=_QUANTITY)
    list_price = forms.DecimalField(
        label=_("List price"),
        required=False,
        help_text=_("Empty: the catalogue's."),
        **_AMOUNT,  # type: ignore[arg-type]
    )
    discount_percent = forms.DecimalField(label=_("Discount (%)"), required=False, **_PERCENT)  # type: ignore[arg-type]

    def line(self) -> LineInput:
        data = self.cleaned_data
        return LineInput(
            sku=data["sku"].strip(),
            quantity=data["quantity"],
            discount_percent=data.get("discount_percent") or Decimal(0),
            list_price=data.get("list_price"),
        )


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=3, min_num=1, validate_min=True)


class QuoteTermsForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Valid until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
    )
    note = forms.CharField(
        label=_("Note to the customer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea({"rows": 2}),
    )


class PaymentForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount"), **_AMOUNT)  # type: ignore[arg-type]
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
