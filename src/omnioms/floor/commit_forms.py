"""The account page's "Commitments" part: how many days after an order its delivery is
committed when the channel sends no deadline (``PromiseRule``), in whose working days, and
how many days before that date unfinished work opens a T-3 (``T3Rule``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from omnioms.floor.commits import DEFAULT_PROMISE_DAYS
from omnioms.floor.models import PromiseRule, T3Rule
from omnioms.floor.t3 import DEFAULT_DAYS
from omnioms.production.models import Calendar


class CommitmentsForm(forms.Form):
    promise_days = forms.IntegerField(
        label=_("Promise days"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_(
            "Days from the order to the date committed to the customer when the channel sends "
            "no deadline of its own. Empty: the date available-to-promise gives."
        ),
    )
    calendar = forms.ModelChoiceField(
        label=_("Count working days of"),
        queryset=Calendar.objects.order_by("code"),
        required=False,
        empty_label=_("(calendar days)"),
    )
    t3_days = forms.IntegerField(
        label=_("T-3 warning, days before the committed date"),
        min_value=0,
        max_value=60,
        help_text=_("Unfinished work this many days before the date opens a T-3 loop."),
    )

    @classmethod
    def for_account(cls, account_id: int | None, data: Any = None) -> CommitmentsForm:
        rule = PromiseRule.objects.filter(account_id=account_id).first() if account_id else None
        t3 = T3Rule.objects.filter(account_id=account_id).first() if account_id else None
        default_t3 = T3Rule.objects.filter(account__isnull=True, customer__isnull=True).first()
        initial = {
            "promise_days": rule.promise_days if rule else DEFAULT_PROMISE_DAYS,
            "calendar": rule.calendar_id if rule else None,
            "t3_days": t3.days if t3 else (default_t3.days if default_t3 else DEFAULT_DAYS),
        }
        return cls(data, initial=initial, prefix="commit")

    def save(self, account_id: int) -> None:
        data = self.cleaned_data
        with transaction.atomic():
            PromiseRule.objects.update_or_create(
                account_id=account_id,
                defaults={"promise_days": data["promise_days"], "calendar": data["calendar"]},
            )
            T3Rule.objects.update_or_create(
                account_id=account_id, defaults={"days": data["t3_days"]}
            )
