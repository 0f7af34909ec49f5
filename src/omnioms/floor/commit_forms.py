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
from omnioms.production.models import Calendar


class CommitmentsForm(forms.Form):
    """Empty fields keep the defaults (the default rules), so that an account saved without
    them, from a form or a script that predates them, loses nothing."""

    promise_days = forms.IntegerField(
        label=_("Promise days"),
        min_value=0,
        max_value=365,
        required=False,
        help_text=_(
            "Days from the order to the date committed to the customer when the channel sends "
            "no deadline of its own. Empty: the default."
        ),
    )
    calendar = forms.ModelChoiceField(
        label=_("Count working days of"),
        queryset=Calendar.objects.order_by("code"),
        required=False,
        empty_label=_("(calendar days)"),
    )
    use_available = forms.BooleanField(
        label=_("Commit the date available-to-promise gives instead"),
        required=False,
        help_text=_(
            "For orders keyed in at a counter: the day of the order when the stock is there, "
            "else the day incoming stock or production covers it."
        ),
    )
    t3_days = forms.IntegerField(
        label=_("T-3 warning, days before the committed date"),
        min_value=0,
        max_value=60,
        required=False,
        help_text=_(
            "Unfinished work this many days before the date opens a T-3 loop. Empty: the default."
        ),
    )

    @classmethod
    def for_account(cls, account_id: int | None, data: Any = None) -> CommitmentsForm:
        rule = PromiseRule.objects.filter(account_id=account_id).first() if account_id else None
        t3 = T3Rule.objects.filter(account_id=account_id).first() if account_id else None
        initial = {
            "promise_days": rule.promise_days if rule else None,
            "calendar": rule.calendar_id if rule else None,
            "use_available": rule is not None and rule.promise_days is None,
            "t3_days": t3.days if t3 else None,
        }
        return cls(data, initial=initial, prefix="commit")

    def save(self, account_id: int) -> None:
        data = self.cleaned_data
        days, calendar = data["promise_days"], data["calendar"]
        with transaction.atomic():
            if data["use_available"] or days is not None or calendar is not None:
                default = PromiseRule.objects.filter(account__isnull=True).first()
                if days is None and not data["use_available"]:
                    days = default.promise_days if default else DEFAULT_PROMISE_DAYS
                PromiseRule.objects.update_or_create(
                    account_id=account_id,
                    defaults={
                        "promise_days": None if data["use_available"] else days,
                        "calendar": calendar,
                    },
                )
            else:
                PromiseRule.objects.filter(account_id=account_id).delete()
            if data["t3_days"] is None:
                T3Rule.objects.filter(account_id=account_id).delete()
            else:
                T3Rule.objects.update_or_create(
                    account_id=account_id, defaults={"days": data["t3_days"]}
                )
