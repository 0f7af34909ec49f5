"""What selling by people adds to an order: payments and invoices at the counter, inquiries
and quotes (every version kept) in social selling.

Orders themselves are ``orders.Order``, made through the one path (``sync.services.submit_order``
-> ``orders.services.upsert_orders``); these rows point at them and never change them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from omnioms.core.money import AMOUNT_DIGITS, AMOUNT_PLACES


def _amount(verbose_name: Any) -> models.DecimalField:
    return models.DecimalField(
        verbose_name, max_digits=AMOUNT_DIGITS, decimal_places=AMOUNT_PLACES, default=0
    )


# ----------------------------------------------------------------------------------------------
# Counter: payments and invoices


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Cash")
    WECHAT_PAY = "wechat_pay", _("WeChat Pay")
    ALIPAY = "alipay", _("Alipay")
    CARD = "card", _("Bank card")
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")


class PaymentKind(models.TextChoices):
    PAYMENT = "payment", _("Payment in full")
    DEPOSIT = "deposit", _("Deposit")
    BALANCE = "balance", _("Balance")


class Payment(models.Model):
    """Money taken for an order by a person (the counter, a quote's deposit)."""

    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="sales_payments",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=PaymentKind.choices)
    method = models.CharField(_("method"), max_length=20, choices=PaymentMethod.choices)
    amount = _amount(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["order", "received_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="payment_positive")
        ]
        permissions = [("sell_at_counter", "Can sell at the store counter")]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.order_id}: {self.kind} {self.amount} {self.currency}"


class InvoiceKind(models.TextChoices):
    GENERAL = "general", _("General VAT invoice (普通发票)")
    SPECIAL = "special", _("Special VAT invoice (专用发票)")


class Invoice(models.Model):
    """A numbered invoice for an order, with what a Chinese VAT invoice request needs.

    A person buying for themselves gives a name; a company gives its name and taxpayer
    identification number, and for a special VAT invoice also its registered address and
    phone and its bank and account. Numbers run without gaps per year (``NumberSequence``).
    """

    number = models.CharField(_("number"), max_length=30, unique=True)
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        related_name="sales_invoices",
    )
    kind = models.CharField(
        _("kind"), max_length=20, choices=InvoiceKind.choices, default=InvoiceKind.GENERAL
    )
    is_company = models.BooleanField(_("company buyer"), default=False)
    buyer_name = models.CharField(_("buyer name"), max_length=200)
    buyer_tax_number = models.CharField(
        _("taxpayer identification number"), max_length=20, blank=True
    )
    buyer_address = models.CharField(_("registered address"), max_length=300, blank=True)
    buyer_phone = models.CharField(_("phone"), max_length=50, blank=True)
    buyer_bank = models.CharField(_("bank"), max_length=200, blank=True)
    buyer_bank_account = models.CharField(_("bank account"), max_length=50, blank=True)
    currency = models.CharField(_("currency"), max_length=3)
    total = _amount(_("total including tax"))
    tax_rate = models.DecimalField(_("tax rate (%)"), max_digits=5, decimal_places=2, default=13)
    tax = _amount(_("tax"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_at", "-pk"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")

    def __str__(self) -> str:
        return self.number


class NumberSequence(models.Model):
    """The last number given of a kind (invoices, quotes) in a year; locked while the next is
    taken, so numbers run without gaps or repeats."""

    kind = models.CharField(_("kind"), max_length=20)
    year = models.PositiveIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["kind", "year"], name="number_sequence_once")
        ]
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.kind} {self.year}: {self.last}"


# ----------------------------------------------------------------------------------------------
# Social selling: inquiries and quotes


class InquirySource(models.TextChoices):
    WECHAT = "wechat", _("WeChat")
    DOUYIN = "douyin", _("Douyin")
    PHONE = "phone", _("Phone call")
    OTHER = "other", _("Other")


class InquiryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    QUOTED = "quoted", _("Quoted")
    WON = "won", _("Won (ordered)")
    LOST = "lost", _("Lost")


class Inquiry(models.Model):
    """Someone asked for something: who, through which channel, and what they want."""

    customer = models.ForeignKey(
        "customers.Customer",
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="sales_inquiries",
    )
    contact_name = models.CharField(_("contact name"), max_length=200)
    contact_phone = models.CharField(_("contact phone"), max_length=50, blank=True)
    contact_handle = models.CharField(_("WeChat or Douyin id"), max_length=100, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=InquirySource.choices)
    wants = models.TextField(_("what they want"))
    status = models.CharField(
        _("status"), max_length=20, choices=InquiryStatus.choices, default=InquiryStatus.OPEN
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("inquiry")
        verbose_name_plural = _("inquiries")

    def __str__(self) -> str:
        return f"#{self.pk} {self.contact_name}"


class QuoteStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved, not yet sent")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted (ordered)")
    DECLINED = "declined", _("Declined")


class Quote(models.Model):
    """An offer to a customer, revised as the negotiation goes: every version is kept."""

    number = models.CharField(_("number"), max_length=30, unique=True)
    inquiry = models.ForeignKey(
        Inquiry, verbose_name=_("inquiry"), on_delete=models.PROTECT, related_name="quotes"
    )
    account = models.ForeignKey(
        "channels.ChannelAccount",
        verbose_name=_("selling account"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The account the order is entered in when the customer accepts."),
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"),
        max_length=30,
        choices=QuoteStatus.choices,
        default=QuoteStatus.AWAITING_APPROVAL,
    )
    order = models.OneToOneField(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sales_quote",
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.CharField(
        _("accepted by"),
        max_length=200,
        blank=True,
        help_text=_("Who accepted: the staff member, or the customer through the quote's link."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("approve_quote", "Can approve a quote whose discount needs approval")]
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")

    def __str__(self) -> str:
        return self.number


class QuoteVersion(models.Model):
    """One version of a quote as it was made; never changed once a newer one exists."""

    quote = models.ForeignKey(
        Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    valid_until = models.DateField(_("valid until"))
    delivery_date = models.DateField(
        _("delivery date"),
        null=True,
        blank=True,
        help_text=_("From available-to-promise when the version was made; empty when not covered."),
    )
    note = models.TextField(_("note to the customer"), blank=True)
    total = _amount(_("total"))
    max_discount = models.DecimalField(
        _("largest discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    needs_approval = models.BooleanField(_("needs approval"), default=False)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("made by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["quote", "number"]
        constraints = [
            models.UniqueConstraint(fields=["quote", "number"], name="quote_version_once")
        ]
        verbose_name = _("quote version")
        verbose_name_plural = _("quote versions")

    def __str__(self) -> str:
        return f"{self.quote_id} v{self.number}"


class QuoteLine(models.Model):
    version = models.ForeignKey(
        QuoteVersion,
        verbose_name=_("quote version"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    position = models.PositiveIntegerField(_("position"))
    sku = models.ForeignKey(
        "catalog.Sku", verbose_name=_("SKU"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=300)
    quantity = models.PositiveIntegerField(_("quantity"))
    list_price = _amount(_("list price"))
    discount_percent = models.DecimalField(
        _("discount (%)"), max_digits=5, decimal_places=2, default=0
    )
    unit_price = _amount(_("unit price"))
    total = _amount(_("line total"))
    promise_date = models.DateField(_("available from"), null=True, blank=True)

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "position"], name="quote_line_position")
        ]
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku_id}"
