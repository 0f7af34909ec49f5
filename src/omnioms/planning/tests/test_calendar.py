from datetime import date

from omnioms.planning.calendar import Calendar
from omnioms.planning.tests.shapes import DAY, office_calendar


def test_work_pauses_over_the_lunch_break():
    calendar = office_calendar()
    eight = 8 * 60
    assert calendar.finish(eight, 5 * 60) == 14 * 60  # 08-12 and 13-14


def test_work_left_at_the_end_of_a_day_goes_on_the_next_morning():
    calendar = office_calendar()
    assert calendar.finish(16 * 60, 2 * 60) == DAY + 9 * 60


def test_a_weekend_has_no_working_time():
    calendar = office_calendar()
    friday_four_pm = 4 * DAY + 16 * 60
    assert calendar.finish(friday_four_pm, 2 * 60) == 7 * DAY + 9 * 60  # Monday 09:00
    assert not calendar.is_working(5 * DAY + 10 * 60)


def test_a_holiday_has_no_working_time():
    calendar = office_calendar(holidays=(date(2026, 12, 8),))  # the Tuesday
    assert not calendar.is_working(DAY + 10 * 60)
    assert calendar.next_working(DAY) == 2 * DAY + 8 * 60


def test_worked_time_and_its_inverse_agree():
    calendar = office_calendar()
    for minute in (8 * 60, 11 * 60 + 59, 13 * 60, DAY + 8 * 60, 3 * DAY + 15 * 60):
        assert calendar.at_worked(calendar.worked(minute)) == minute


def test_the_latest_start_ends_by_the_given_time():
    calendar = office_calendar()
    start = calendar.start_for(DAY + 10 * 60, 4 * 60)  # 4 hours ending Tuesday 10:00
    assert start == 15 * 60
    assert calendar.finish(start, 4 * 60) == DAY + 10 * 60


def test_overlapping_windows_are_merged():
    calendar = Calendar("c", ((0, 10), (5, 20), (30, 40)))
    assert calendar.windows == ((0, 20), (30, 40))
    assert calendar.finish(15, 10) == 35
