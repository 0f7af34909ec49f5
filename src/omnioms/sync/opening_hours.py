"""When a store is open: the channel health page counts a store's silence in opening hours.

A store sells nothing at night, so "no order for 18 hours" says nothing about its till at nine
in the morning. An account's hours are ``ChannelAccount.options["health"]["opening_hours"]``
(``{"opens": "10:00", "closes": "22:00", "days": [0, ..., 6]}``, weekdays Monday = 0, in the
account's time zone; a closing time at or before the opening time is after midnight). An
account at a store without hours of its own keeps :data:`DEFAULT_STORE_HOURS`; other accounts
are always open unless they are given hours.

Pure: no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

OPENING_HOURS_OPTION = "opening_hours"
WEEK = tuple(range(7))
LONGEST_LOOK_BACK = timedelta(days=400)
"""Opening time is summed day by day; farther back than this an account is silent anyway."""


@dataclass(frozen=True)
class OpeningHours:
    opens: time
    closes: time
    """At or before ``opens``: the store closes after midnight, on the next day."""
    days: tuple[int, ...] = WEEK
    """Weekdays it opens on (Monday = 0); a day that runs past midnight belongs to its start."""

    def day_length(self) -> timedelta:
        opens = timedelta(hours=self.opens.hour, minutes=self.opens.minute)
        closes = timedelta(hours=self.closes.hour, minutes=self.closes.minute)
        return closes - opens if closes > opens else closes - opens + timedelta(days=1)

    def periods(self, day: date, zone: tzinfo) -> tuple[datetime, datetime] | None:
        """The opening of ``day`` as aware UTC times, or None when it is closed that day."""
        if day.weekday() not in self.days:
            return None
        start = datetime.combine(day, self.opens, zone).astimezone(UTC)
        end_day = day if self.closes > self.opens else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.closes, zone).astimezone(UTC)

    def open_time(self, start: datetime, end: datetime, zone: tzinfo) -> timedelta:
        """How long the store was open between ``start`` and ``end`` (aware times)."""
        # In UTC: aware times sharing a zone are compared and subtracted as wall-clock times.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        start = max(start, end - LONGEST_LOOK_BACK)
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = start.astimezone(zone).date() - timedelta(days=1)  # a night that began before
        last = end.astimezone(zone).date()
        while day <= last:
            period = self.periods(day, zone)
            if period is not None:
                opened, closed = max(period[0], start), min(period[1], end)
                if closed > opened:
                    total += closed - opened
            day += timedelta(days=1)
        return total

    def is_open(self, at: datetime, zone: tzinfo) -> bool:
        return self.open_time(at - timedelta(seconds=1), at, zone) > timedelta(0)

    def as_option(self) -> dict[str, Any]:
        return {
            "opens": self.opens.strftime("%H:%M"),
            "closes": self.closes.strftime("%H:%M"),
            "days": list(self.days),
        }

    def text(self) -> str:
        """``10:00–22:00`` and, unless it opens every day, the days it opens."""
        hours = f"{self.opens:%H:%M}–{self.closes:%H:%M}"
        if self.days == WEEK:
            return hours
        names = [str(WEEKDAY_NAMES[day]) for day in self.days]
        return f"{hours} ({', '.join(names)})" if names else _("closed every day")


DEFAULT_STORE_HOURS = OpeningHours(opens=time(10), closes=time(22))
"""A Chinese high-street or mall store's hours, every day of the week."""


WEEKDAY_NAMES = (
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
)


def parse_time(value: Any) -> time:
    """``"09:30"`` -> 09:30; ValueError for anything else."""
    if not isinstance(value, str):
        raise ValueError(value)
    hours, _sep, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(value)
    return time(int(hours), int(minutes))


def configured_hours(options: Mapping[str, Any]) -> OpeningHours | None:
    """The account's own opening hours, None when it has none; ValueError names a bad one."""
    health = options.get("health") if isinstance(options, Mapping) else None
    value = health.get(OPENING_HOURS_OPTION) if isinstance(health, Mapping) else None
    if value in (None, "", {}):
        return None
    problem = _("options.health.%(option)s: %(value)r is not opening hours such as %(example)s") % {
        "option": OPENING_HOURS_OPTION,
        "value": value,
        "example": '{"opens": "10:00", "closes": "22:00", "days": [0, 1, 2, 3, 4, 5, 6]}',
    }
    if not isinstance(value, Mapping):
        raise ValueError(problem)
    days = value.get("days", list(WEEK))
    try:
        opens, closes = parse_time(value.get("opens")), parse_time(value.get("closes"))
    except ValueError:
        raise ValueError(problem) from None
    if (
        not isinstance(days, list)
        or not all(isinstance(day, int) and not isinstance(day, bool) for day in days)
        or not set(days) <= set(WEEK)
        or opens == closes
    ):
        raise ValueError(problem)
    return OpeningHours(opens=opens, closes=closes, days=tuple(sorted(set(days))))


def hours_for(options: Mapping[str, Any], *, at_store: bool) -> OpeningHours | None:
    """The hours an account is judged by: its own, a store's default, or None (always open).

    A bad setting raises ValueError; the caller warns and judges the account as if it had none.
    """
    own = configured_hours(options)
    if own is not None:
        return own
    return DEFAULT_STORE_HOURS if at_store else None
