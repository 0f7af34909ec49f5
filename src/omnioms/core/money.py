"""Money: a ``Decimal`` amount with its currency, and the currency's minor unit.

Models keep amounts in ``DecimalField(max_digits=18, decimal_places=4)`` beside one currency
column per order; this module is where amounts are rounded for display and compared.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from babel.numbers import format_currency, get_currency_precision

AMOUNT_DIGITS = 18
AMOUNT_PLACES = 4


@cache
def minor_unit(currency: str) -> Decimal:
    """``Decimal('0.01')`` for CNY and USD, ``Decimal('1')`` for JPY (from CLDR via Babel)."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError("Money.amount must be a Decimal")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise ValueError(f"{self.currency!r} is not an ISO 4217 currency code")

    def rounded(self) -> Money:
        return Money(self.amount.quantize(minor_unit(self.currency), ROUND_HALF_UP), self.currency)

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def text(self) -> str:
        """The amount as an exact decimal string in the currency's minor unit: ``"96.20"``."""
        return format(self.rounded().amount, "f")

    def display(self, locale: str = "en") -> str:
        return format_currency(self.amount, self.currency, locale=locale.replace("-", "_"))
