"""Pure rules of customer service: business time, SLA clocks, rule matching, canned replies,
search documents. No ORM: the services read rows into these values."""

from __future__ import annotations

import bisect
import re
import statistics
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from omnioms.production.domain import CalendarSpec, working_intervals

# ----------------------------------------------------------------------------------------------
# Business time: the production calendar's working intervals (shifts, holidays, make-up days).
# ``None`` as the calendar means around the clock.

_WINDOW_DAYS = 14


def _intervals(
    calendar: CalendarSpec, start: datetime, days: int
) -> list[tuple[datetime, datetime]]:
    first = start.date() - timedelta(days=1)  # a night shift that began the day before
    return working_intervals(calendar, first, first + timedelta(days=days))


def add_business_time(calendar: CalendarSpec | None, start: datetime, seconds: float) -> datetime:
    """The moment ``seconds`` of business time after ``start``. A calendar with no working
    time in a whole year gives ``start`` plus the plain seconds rather than looping forever."""
    if calendar is None:
        return start + timedelta(seconds=seconds)
    left = seconds
    cursor = start
    for _window in range(27):  # a year, two weeks at a time
        for begin, finish in _intervals(calendar, cursor, _WINDOW_DAYS):
            if finish <= cursor:
                continue
            begin = max(begin, cursor)
            span = (finish - begin).total_seconds()
            if span >= left:
                return begin + timedelta(seconds=left)
            left -= span
            cursor = finish
        cursor = max(cursor, _day_start(cursor) + timedelta(days=_WINDOW_DAYS - 1))
    return start + timedelta(seconds=seconds)


def _day_start(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def business_seconds(calendar: CalendarSpec | None, start: datetime, end: datetime) -> float:
    """Business seconds from ``start`` to ``end``; negative when ``end`` is earlier."""
    if end < start:
        return -business_seconds(calendar, end, start)
    if calendar is None:
        return (end - start).total_seconds()
    days = (end.date() - start.date()).days + 2
    total = 0.0
    for begin, finish in _intervals(calendar, start, days):
        lo, hi = max(begin, start), min(finish, end)
        if hi > lo:
            total += (hi - lo).total_seconds()
    return total


class BusinessClock:
    """Business seconds between any two moments of a span, answered by bisection over the
    calendar's working intervals computed once (the dashboard measures thousands of tickets
    with one clock per calendar). ``None`` as the calendar: around the clock."""

    def __init__(self, calendar: CalendarSpec | None, start: datetime, end: datetime) -> None:
        self.calendar = calendar
        self.starts: list[datetime] = []
        self.ends: list[datetime] = []
        self.before: list[float] = []  # business seconds before each interval
        if calendar is None:
            return
        total = 0.0
        days = (end.date() - start.date()).days + 2
        for begin, finish in _intervals(calendar, start, days):
            self.starts.append(begin)
            self.ends.append(finish)
            self.before.append(total)
            total += (finish - begin).total_seconds()

    def _elapsed(self, moment: datetime) -> float:
        """Business seconds from the span's start to ``moment``."""
        index = bisect.bisect_right(self.starts, moment) - 1
        if index < 0:
            return 0.0
        inside = min(moment, self.ends[index]) - self.starts[index]
        return self.before[index] + max(0.0, inside.total_seconds())

    def seconds(self, start: datetime, end: datetime) -> float:
        if self.calendar is None:
            return (end - start).total_seconds()
        return self._elapsed(end) - self._elapsed(start)

    def seconds_less_pauses(
        self, start: datetime, end: datetime, pauses: Iterable[tuple[datetime, datetime]]
    ) -> float:
        """Business seconds from ``start`` to ``end`` less those inside ``pauses`` (the
        clock stops while the ticket waits on the customer, as the SLA clock does)."""
        total = self.seconds(start, end)
        for pause_start, pause_end in pauses:
            lo, hi = max(pause_start, start), min(pause_end, end)
            if hi > lo:
                total -= self.seconds(lo, hi)
        return max(0.0, total)


def pauses_from_statuses(
    changes: Iterable[tuple[datetime, str, str]], *, waiting: str, until: datetime
) -> list[tuple[datetime, datetime]]:
    """The spans a ticket waited on the customer, from its status changes ``(at, old, new)``
    in time order; one still open ends at ``until``."""
    spans: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for at, old, new in changes:
        if new == waiting and old != waiting and since is None:
            since = at
        elif old == waiting and new != waiting and since is not None:
            spans.append((since, at))
            since = None
    if since is not None and until > since:
        spans.append((since, until))
    return spans


def median_and_p90(values: Sequence[float]) -> tuple[float | None, float | None]:
    """The median and the 90th percentile (``statistics.quantiles`` with the inclusive method:
    linear interpolation between the closest ranks, as ``numpy.quantile`` by default)."""
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[-1]


@dataclass(frozen=True)
class Targets:
    first_response_minutes: int
    next_response_minutes: int | None
    resolution_minutes: int | None


@dataclass(frozen=True)
class Clock:
    """A ticket's SLA as it stands: the due times of what is still owed."""

    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None


def due_times(
    calendar: CalendarSpec | None,
    targets: Targets,
    *,
    opened_at: datetime,
    first_response_at: datetime | None,
    awaiting_reply_since: datetime | None,
    paused_seconds: float = 0.0,
) -> Clock:
    """Due times from the opening (resolution, first response) and the oldest unanswered
    customer message (next response); ``paused_seconds`` of business time spent waiting on
    the customer push the resolution out."""
    first = (
        None
        if first_response_at is not None
        else add_business_time(calendar, opened_at, targets.first_response_minutes * 60)
    )
    following = (
        add_business_time(calendar, awaiting_reply_since, targets.next_response_minutes * 60)
        if first_response_at is not None
        and awaiting_reply_since is not None
        and targets.next_response_minutes
        else None
    )
    resolution = (
        add_business_time(calendar, opened_at, targets.resolution_minutes * 60 + paused_seconds)
        if targets.resolution_minutes
        else None
    )
    return Clock(first, following, resolution)


def earliest(*moments: datetime | None) -> datetime | None:
    present = [m for m in moments if m is not None]
    return min(present) if present else None


def matches(conditions: Mapping[str, str], facts: Mapping[str, str]) -> bool:
    """Every non-blank condition equals the fact of the same name (blank: any)."""
    return all(not want or facts.get(name, "") == want for name, want in conditions.items())


def first_matching(rules: Sequence[Any], facts: Mapping[str, str], fields: Iterable[str]) -> Any:
    names = tuple(fields)
    for rule in rules:
        if matches({name: getattr(rule, name) for name in names}, facts):
            return rule
    return None


def next_in_rotation(agents: Sequence[tuple[int, datetime | None]]) -> int | None:
    """Round robin: the available agent who was assigned longest ago (never first, then by
    id so that the order is stable)."""
    if not agents:
        return None
    return min(agents, key=lambda a: (a[1] is not None, a[1] or datetime.min, a[0]))[0]


# ----------------------------------------------------------------------------------------------
# Canned replies

PLACEHOLDERS = ("order_number", "tracking_link", "promised_date", "customer_name", "ticket_number")


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill_placeholders(template: str, values: Mapping[str, str]) -> str:
    """``{order_number}`` and friends replaced; an unknown or unfilled one stays as written,
    so the agent sees what is missing before sending."""
    known = {k: v for k, v in values.items() if v}
    try:
        return string.Formatter().vformat(template, (), _Missing(known))
    except (ValueError, IndexError, KeyError, AttributeError):
        return template  # braces that are not placeholders: leave the text alone


TRACKING_LINKS = {
    "sf": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    "顺丰": "https://www.sf-express.com/chn/sc/waybill/waybill-detail/{number}",
    "ups": "https://www.ups.com/track?tracknum={number}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={number}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={number}",
}
GENERIC_TRACKING = "https://www.kuaidi100.com/chaxun?nu={number}"


def tracking_link(carrier: str, number: str) -> str:
    key = carrier.strip().lower()
    for name, pattern in TRACKING_LINKS.items():
        if key.startswith(name):
            return pattern.format(number=number)
    return GENERIC_TRACKING.format(number=number)


def format_date(value: date | None, language: str) -> str:
    if value is None:
        return ""
    if language.startswith("zh"):
        return f"{value.year}年{value.month}月{value.day}日"
    return value.isoformat()


# ----------------------------------------------------------------------------------------------
# Search documents and queries

_NOT_DIGIT = re.compile(r"\D+")
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-]{3,}$")


def phone_forms(phone: str) -> list[str]:
    """A phone as the digits people type: whole, and without a +86/0086 country code."""
    digits = _NOT_DIGIT.sub("", phone)
    if not digits:
        return []
    forms = [digits]
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) >= 7:
            forms.append(digits[len(prefix) :])
            break
    return forms


def document(*parts: str | None, phones: Iterable[str] = ()) -> str:
    """A search document: the parts lower-cased and joined, phones as digits."""
    words = [p.strip().lower() for p in parts if p and p.strip()]
    for phone in phones:
        words.extend(phone_forms(phone))
    return _PART_SEPARATOR.join(dict.fromkeys(words))


KEY_LENGTH = 100
MIN_KEY = 5
_KEY_DROP = re.compile(r"[\s\-]+")
_SPACE = re.compile(r"\s")
_CODE_CHAR = re.compile(r"[\d@]")
_PART_SEPARATOR = " | "


def code_key(text: str) -> str:
    """A code as its exact-match key: lower case, without spaces and dashes, so that
    ``SF 1402-0000-0013`` and ``sf140200000013`` are one key."""
    return _KEY_DROP.sub("", text.lower())


def looks_like_code(term: str) -> bool:
    """A term an agent typed whole: an order id, tracking number, SKU, phone, e-mail or ticket
    number (at least five characters, one of them a digit or an ``@``)."""
    return _is_code_key(code_key(term))


def _is_code_key(key: str) -> bool:
    return MIN_KEY <= len(key) <= KEY_LENGTH and _CODE_CHAR.search(key) is not None


def document_keys(document_text: str) -> list[str]:
    """The exact-match keys of a search document: each part that is one code (no spaces
    inside, a digit or ``@`` in it) as :func:`code_key`, once. Every order an import writes
    passes through here: regular expressions, not a loop over characters."""
    keys: dict[str, None] = {}
    for part in document_text.split(_PART_SEPARATOR):
        part = part.strip()
        if part and _SPACE.search(part) is None:
            key = code_key(part)
            if _is_code_key(key):
                keys[key] = None
    return list(keys)


def query_terms(query: str) -> list[str]:
    """What a search box holds, as the substrings every matching document contains: a phone
    typed in any format becomes its digits; otherwise each word, lower-cased."""
    text = query.replace("\x00", "").strip().lower()
    if not text:
        return []
    if _PHONE_LIKE.match(text) and sum(c.isdigit() for c in text) >= 3:
        forms = phone_forms(text)
        return [forms[-1]]
    return [word for word in text.split() if word][:5]
