"""What keeps the close and the KPI pages fast without changing what they do: exceptions
opened together with their owners, due times and people told, and the machine state
intervals stamped with their local day, hour and shift when written."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.floor.close import run_daily_close
from omnioms.floor.domain import NO_SHIFT, ShiftSpan, interval_stamp, shift_at
from omnioms.floor.exceptions import NewException, escalate_due, open_exceptions
from omnioms.floor.kpis import Period, oee_figures
from omnioms.floor.materials import issue_material
from omnioms.floor.models import (
    ChatMessage,
    ChatWebhook,
    ExceptionOwner,
    ExceptionType,
    FloorException,
    Notification,
    StateInterval,
)
from omnioms.floor.notify import send_mail_due
from omnioms.floor.reporting import report_operation
from omnioms.floor.tests.factories import ACTOR, START, production_order, shop
from omnioms.production.models import Shift
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_exceptions_opened_together_get_their_owner_due_times_event_and_people_told() -> None:
    place = shop()
    cutter = make_user(Role.SUPERVISOR)
    supervisor = make_user(Role.SUPERVISOR)
    supervisor.email = "sup@example.com"
    supervisor.save()
    scrap = ExceptionType.objects.get(code="scrap")
    ExceptionOwner.objects.create(type=scrap, work_center=place.cut, user=cutter)
    ChatWebhook.objects.create(name="floor", kind="wecom", url="http://127.0.0.1:9/robot")
    already = open_exceptions(
        [NewException("scrap", "order:9:scrap", "MO-9 scrapped 0.05", {"figure": "0.05"})],
        actor=Actor.system(),
        now=NOW,
    )

    opened = open_exceptions(
        [
            NewException("scrap", "wc:cut:scrap", "CUT scrapped 0.1", {"figure": "0.1"},
                         work_center_id=place.cut.pk),
            NewException("scrap", "wc:sew:scrap", "SEW scrapped 0.2", {"figure": "0.2"},
                         work_center_id=place.sew.pk),
            NewException("scrap", "order:9:scrap", "MO-9 scrapped 0.07", {"figure": "0.07"}),
            NewException("no_such_type", "x:1", "nothing", {}),
        ],
        actor=Actor.system(),
        now=NOW,
    )  # fmt: skip

    assert sorted(e.key for e in opened) == ["wc:cut:scrap", "wc:sew:scrap"]
    cut, sew = (FloorException.objects.get(key=k) for k in ("wc:cut:scrap", "wc:sew:scrap"))
    assert (cut.owner_user, cut.owner_role) == (cutter, "")  # the work centre's own owner
    assert (sew.owner_user, sew.owner_role) == (None, "supervisor")  # the type's default
    assert cut.acknowledge_by == NOW + timedelta(hours=scrap.hours_to_acknowledge)
    assert cut.resolve_by == NOW + timedelta(hours=scrap.hours_to_resolve)
    assert list(cut.events.values_list("kind", flat=True)) == ["opened"]
    again = FloorException.objects.get(key="order:9:scrap")
    assert (again.pk, again.figures) == (already[0].pk, {"figure": "0.07"})  # updated, not new
    assert list(Notification.objects.filter(exception=cut).values_list("user", flat=True)) == [
        cutter.pk
    ]
    assert set(Notification.objects.filter(exception=sew).values_list("user", flat=True)) == {
        cutter.pk,
        supervisor.pk,
    }
    assert ChatMessage.objects.count() == 3  # one per exception opened, per robot
    # the e-mails wait in the outbox for the worker step, and leave once
    assert mail.outbox == []
    assert send_mail_due() == 2  # the supervisor, for MO-9 and for SEW
    assert send_mail_due() == 0
    assert [m.to for m in mail.outbox] == [["sup@example.com"]] * 2
    # and they climb their type's chain like any other
    assert escalate_due(NOW + timedelta(hours=3)) == 3


def test_the_close_opens_every_gap_in_a_number_of_queries_that_does_not_grow_with_them() -> None:
    def close_with(orders: int, day: date) -> tuple[int, int]:
        FloorException.objects.all().delete()
        for n in range(orders):
            order = production_order(place, 100)
            cut = order.operations.get(sequence=10)
            start = datetime.combine(day, time(8), tzinfo=SHANGHAI)
            issue_material(
                order.pk, sku="FABRIC", quantity=200, report_id=f"m{day}{n}", actor=ACTOR, at=start
            )
            for kind, minutes, extra in (
                ("start", 0, {}),
                ("finish", 100, {"good": 50, "scrap": 50, "scrap_reason": "material"}),
            ):
                report_operation(
                    operation_id=cut.pk,
                    report_id=f"{day}{n}{kind}",
                    kind=kind,
                    at=start + timedelta(minutes=minutes),
                    actor=ACTOR,
                    source="api",
                    **extra,  # type: ignore[arg-type]
                )
        with CaptureQueriesContext(connection) as queries:
            close = run_daily_close(day)
        return close.summary["exceptions_opened"], len(queries)

    place = shop()
    make_user(Role.SUPERVISOR)
    few, few_queries = close_with(1, date(2026, 12, 1))
    many, many_queries = close_with(6, date(2026, 12, 2))

    assert many > few > 0
    assert many_queries <= few_queries + 4  # batches, not a round of queries per exception


def test_a_night_shift_runs_past_midnight_into_the_next_day() -> None:
    night = ShiftSpan(weekday=0, start=time(22), end=time(6), name="night")
    day = ShiftSpan(weekday=1, start=time(8), end=time(20), name="day")

    assert shift_at([night, day], datetime(2026, 11, 30, 23)) == "night"  # Monday 23:00
    assert shift_at([night, day], datetime(2026, 12, 1, 3)) == "night"  # Tuesday 03:00
    assert shift_at([night, day], datetime(2026, 12, 1, 9)) == "day"
    assert shift_at([night, day], datetime(2026, 12, 1, 7)) == NO_SHIFT
    stamp = interval_stamp(
        datetime(2026, 11, 30, 16, 30, tzinfo=UTC),  # Tuesday 00:30 in Shanghai
        datetime(2026, 11, 30, 17, 0, tzinfo=UTC),
        SHANGHAI,
        [night, day],
    )
    assert (stamp.seconds, stamp.local_day, stamp.local_hour, stamp.shift) == (
        1800.0,
        date(2026, 12, 1),
        0,
        "night",
    )


def test_reported_intervals_are_summed_per_shift_and_day_of_their_centres_calendar() -> None:
    place = shop()
    calendar = place.cut.calendar
    calendar.time_zone = "Asia/Shanghai"
    calendar.save()
    Shift.objects.filter(calendar=calendar).update(name="day")
    order = production_order(place, 100)
    cut = order.operations.get(sequence=10)
    for kind, minutes, extra in (
        ("start", 0, {}),  # 08:00 Tuesday 1 December in Shanghai
        ("pause", 30, {"pause_reason": "breakdown"}),
        ("resume", 45, {}),
        ("finish", 100, {"good": 95, "scrap": 5, "scrap_reason": "material"}),
    ):
        report_operation(
            operation_id=cut.pk,
            report_id=f"r-{kind}",
            kind=kind,
            at=START + timedelta(minutes=minutes),
            actor=ACTOR,
            source="api",
            **extra,
        )

    stamps = set(StateInterval.objects.values_list("local_day", "local_hour", "shift"))
    assert stamps == {(date(2026, 12, 1), 8, "day")}  # 08:00, 08:30, 08:45
    assert sorted(StateInterval.objects.values_list("seconds", flat=True)) == [
        900.0,
        1800.0,
        3300.0,
    ]
    period = Period(date(2026, 12, 1), date(2026, 12, 1), SHANGHAI)
    total, by_shift = oee_figures(period, by="shift")
    _total, by_day = oee_figures(period, by="day")
    assert list(by_shift) == ["day"]
    assert list(by_day) == ["2026-12-01"]
    # 100 minutes busy, 85 producing, 100 units of 60 s planned run time, 95 good
    assert by_shift["day"].availability == by_day["2026-12-01"].availability
    assert total.availability is not None
    assert total.quality is not None
    assert round(float(total.availability), 3) == round(85 / 100, 3)
    assert round(float(total.quality), 3) == 0.95
