"""ISO 22400-2 OEE: each state's treatment, hand-computed figures, totals from sums, Paretos."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from omnioms.kpi import KpiInputError, MachineState, StateRecord, oee, oee_by
from omnioms.kpi.oee import Downtime, ScrapLoss

BEIJING = timezone(timedelta(hours=8))


def at(clock: str, day: int = 3) -> datetime:
    hours, minutes = map(int, clock.split(":"))
    return datetime(2025, 3, day, hours, minutes, tzinfo=BEIJING)


def interval(
    state: str, start: str, end: str, *, centre: str = "CUT", **fields: object
) -> StateRecord:
    return StateRecord(centre, at(start), at(end), MachineState(state), **fields)  # type: ignore[arg-type]


def worked_example() -> list[StateRecord]:
    """The example of docs/kpi.md: a cutting table's day and a sewing line's afternoon."""
    return [
        interval("setup", "08:00", "08:45", reason="new marker"),
        interval(
            "producing",
            "08:45",
            "12:00",
            produced=480,
            scrap=22,
            ideal_seconds_per_unit=Decimal(27),
            scrap_reasons={"misaligned cut": 22},
        ),
        interval("planned_stop", "12:00", "13:00", reason="lunch"),
        interval("breakdown", "13:00", "13:15", reason="blade"),
        interval(
            "producing",
            "13:15",
            "17:00",
            produced=360,
            scrap=20,
            ideal_seconds_per_unit=Decimal(27),
            scrap_reasons={"frayed edge": 20},
        ),
        interval("waiting_material", "13:00", "14:00", centre="SEW", reason="fabric late"),
        interval(
            "producing",
            "14:00",
            "15:00",
            centre="SEW",
            produced=120,
            scrap=12,
            ideal_seconds_per_unit=Decimal(24),
            scrap_reasons={"broken stitch": 12},
        ),
    ]


def test_worked_example_gives_the_documented_figures_per_work_centre() -> None:
    centres = oee_by(worked_example())

    cut, sew = centres["CUT"], centres["SEW"]
    assert list(centres) == ["CUT", "SEW"]
    assert (cut.planned_busy_seconds, cut.production_seconds) == (28800, 25200)
    assert (cut.setup_seconds, cut.stop_seconds, cut.planned_stop_seconds) == (2700, 900, 3600)
    assert (cut.planned_run_seconds, cut.produced, cut.good, cut.scrap) == (22680, 840, 798, 42)
    assert (cut.availability, cut.effectiveness, cut.quality) == (
        Decimal("0.875"),
        Decimal("0.9"),
        Decimal("0.95"),
    )
    assert cut.oee == Decimal("0.748125")
    assert (sew.availability, sew.effectiveness, sew.quality, sew.oee) == (
        Decimal("0.5"),
        Decimal("0.8"),
        Decimal("0.9"),
        Decimal("0.36"),
    )


def test_total_is_computed_from_summed_times_and_quantities_not_the_mean_of_centres() -> None:
    records = worked_example()

    total = oee(records)

    assert (total.planned_busy_seconds, total.production_seconds) == (36000, 28800)
    assert (total.planned_run_seconds, total.produced, total.good) == (25560, 960, 906)
    assert total.availability == Decimal("0.8")
    assert total.effectiveness == Decimal("0.8875")
    assert total.quality == Decimal("0.94375")
    assert total.oee == Decimal("0.6700625")
    mean_of_centres = sum(f.oee or 0 for f in oee_by(records).values()) / 2
    assert mean_of_centres == Decimal("0.5540625")  # the misleading number we do not give


@pytest.mark.parametrize(
    "state",
    ["setup", "breakdown", "waiting_material", "no_operator", "quality_hold"],
)
def test_setup_and_each_unplanned_stop_are_busy_time_without_production(state: str) -> None:
    records = [
        interval("producing", "08:00", "09:00", produced=60, ideal_seconds_per_unit=Decimal(60)),
        interval(state, "09:00", "10:00"),
    ]

    figures = oee(records)

    assert figures.planned_busy_seconds == 7200
    assert figures.production_seconds == 3600
    assert figures.availability == Decimal("0.5")
    assert [(bar.state, bar.seconds) for bar in figures.downtime] == [(state, 3600)]


def test_planned_stop_is_not_busy_time_and_costs_no_availability() -> None:
    records = [
        interval("producing", "08:00", "09:00", produced=60, ideal_seconds_per_unit=Decimal(60)),
        interval("planned_stop", "09:00", "10:00"),
    ]

    figures = oee(records)

    assert (figures.planned_busy_seconds, figures.planned_stop_seconds) == (3600, 3600)
    assert figures.availability == figures.oee == Decimal(1)
    assert figures.downtime == ()


def test_time_in_no_interval_counts_as_nothing() -> None:
    records = [
        interval("producing", "08:00", "09:00", produced=60, ideal_seconds_per_unit=Decimal(60)),
        interval("producing", "15:00", "16:00", produced=60, ideal_seconds_per_unit=Decimal(60)),
    ]

    assert oee(records).planned_busy_seconds == 7200


def test_effectiveness_adds_each_intervals_own_standard_time() -> None:
    records = [
        interval("producing", "08:00", "09:00", produced=100, ideal_seconds_per_unit=Decimal(18)),
        interval(
            "producing", "09:00", "10:00", produced=40, ideal_seconds_per_unit=Decimal("22.5")
        ),
    ]

    figures = oee(records)

    assert figures.planned_run_seconds == 1800 + 900
    assert figures.effectiveness == Decimal("0.375")


def test_effectiveness_above_one_is_reported_as_it_is() -> None:
    records = [
        interval("producing", "08:00", "09:00", produced=72, ideal_seconds_per_unit=Decimal(60))
    ]

    assert oee(records).effectiveness == Decimal("1.2")


def test_no_busy_time_gives_no_oee_and_no_verdict() -> None:
    figures = oee([interval("planned_stop", "08:00", "17:00")])

    assert (figures.availability, figures.effectiveness, figures.quality) == (None, None, None)
    assert figures.oee is None
    assert figures.met is None


def test_busy_time_without_production_gives_oee_zero() -> None:
    figures = oee([interval("breakdown", "08:00", "17:00")])

    assert figures.availability == 0
    assert figures.effectiveness is None
    assert figures.oee == 0
    assert figures.met is False


def test_producing_time_without_reported_units_gives_effectiveness_and_oee_zero() -> None:
    figures = oee([interval("producing", "08:00", "09:00")])

    assert (figures.availability, figures.effectiveness, figures.quality) == (1, 0, None)
    assert figures.oee == 0


def test_target_decides_met_and_is_a_parameter() -> None:
    records = worked_example()

    assert oee(records).target == Decimal("0.80")
    assert oee(records).met is False
    assert oee(records, target=Decimal("0.67")).met is True
    assert oee_by(records, target=Decimal("0.70"))["CUT"].met is True
    with pytest.raises(KpiInputError, match="target"):
        oee(records, target=Decimal(80))


def test_downtime_pareto_adds_up_state_and_reason_and_sorts_largest_first() -> None:
    records = [
        interval("breakdown", "08:00", "08:10", reason="blade"),
        interval("no_operator", "08:10", "08:40"),
        interval("breakdown", "08:40", "09:00", reason="blade"),
        interval("breakdown", "09:00", "09:20", reason="motor"),
        interval("setup", "09:20", "09:40"),
        interval("planned_stop", "09:40", "12:00"),
    ]

    bars = oee(records).downtime

    assert [(bar.state, bar.reason, bar.seconds) for bar in bars] == [
        (MachineState.BREAKDOWN, "blade", 1800),
        (MachineState.NO_OPERATOR, "", 1800),
        (MachineState.SETUP, "", 1200),
        (MachineState.BREAKDOWN, "motor", 1200),
    ]
    assert [bar.share for bar in bars] == [Decimal("0.3")] * 2 + [Decimal("0.2")] * 2
    assert [bar.cumulative_share for bar in bars] == [
        Decimal("0.3"),
        Decimal("0.6"),
        Decimal("0.8"),
        Decimal(1),
    ]


def test_scrap_pareto_counts_units_per_reason_and_unnamed_scrap_under_no_reason() -> None:
    standard = Decimal(10)
    records = [
        interval(
            "producing", "08:00", "09:00", produced=100, scrap=6, ideal_seconds_per_unit=standard
        ),
        interval(
            "producing",
            "09:00",
            "10:00",
            produced=100,
            scrap=14,
            scrap_reasons={"stain": 10, "hole": 2},
            ideal_seconds_per_unit=standard,
        ),
    ]

    assert oee(records).scrap_reasons == (
        ScrapLoss("stain", 10, Decimal("0.5"), Decimal("0.5")),
        ScrapLoss("", 8, Decimal("0.4"), Decimal("0.9")),
        ScrapLoss("hole", 2, Decimal("0.1"), Decimal(1)),
    )


def test_oee_by_groups_by_any_key_the_caller_attaches() -> None:
    standard = {"ideal_seconds_per_unit": Decimal(60)}
    records = [
        StateRecord("CUT", at("06:00"), at("14:00"), MachineState.PRODUCING, produced=480,
                    tags={"shift": "early"}, **standard),  # type: ignore[arg-type]
        StateRecord("CUT", at("14:00"), at("18:00"), MachineState.BREAKDOWN,
                    tags={"shift": "late"}),
        StateRecord("CUT", at("18:00"), at("22:00"), MachineState.PRODUCING, produced=240,
                    tags={"shift": "late"}, **standard),  # type: ignore[arg-type]
    ]  # fmt: skip

    shifts = oee_by(records, lambda record: record.tags["shift"])

    assert list(shifts) == ["early", "late"]
    assert shifts["early"].oee == 1
    assert shifts["late"].availability == Decimal("0.5")
    assert shifts["late"].downtime == (
        Downtime(MachineState.BREAKDOWN, "", Decimal(14400), Decimal(1), Decimal(1)),
    )


def test_overlapping_intervals_of_one_machine_are_refused_naming_both() -> None:
    records = [
        interval("producing", "08:00", "10:00"),
        interval("setup", "10:00", "10:30"),
        interval("breakdown", "09:30", "10:15"),
    ]

    with pytest.raises(KpiInputError) as caught:
        oee(records)

    assert (caught.value.field, caught.value.index, caught.value.related) == ("start", 2, 0)
    assert caught.value.located(lambda i: f"row {i + 2}").startswith(
        "row 4: start: [2025-03-03T09:30:00+08:00, 2025-03-03T10:15:00+08:00) overlaps row 2 "
        "on work centre CUT"
    )
    with pytest.raises(KpiInputError):
        oee_by(records)


def test_touching_intervals_and_several_machines_of_one_centre_add_up() -> None:
    standard = {"ideal_seconds_per_unit": Decimal(60)}
    records = [
        StateRecord("SEW", at("08:00"), at("09:00"), MachineState.PRODUCING, produced=60,
                    machine="1", **standard),  # type: ignore[arg-type]
        StateRecord("SEW", at("08:00"), at("09:00"), MachineState.NO_OPERATOR, machine="2"),
        StateRecord("SEW", at("09:00"), at("10:00"), MachineState.PRODUCING, produced=60,
                    machine="2", **standard),  # type: ignore[arg-type]
    ]  # fmt: skip

    figures = oee_by(records)["SEW"]

    assert figures.planned_busy_seconds == 10800
    assert figures.availability == Decimal(2) / 3


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"work_center": ""}, "work_center"),
        ({"state": "lunch"}, "state"),
        ({"start": datetime(2025, 3, 3, 8)}, "start"),
        ({"end": at("07:00")}, "end"),
        ({"produced": -1}, "produced"),
        ({"produced": 5, "scrap": 6}, "scrap"),
        ({"produced": 5, "ideal_seconds_per_unit": None}, "ideal_seconds_per_unit"),
        ({"ideal_seconds_per_unit": Decimal(-1)}, "ideal_seconds_per_unit"),
        ({"scrap": 2, "produced": 2, "scrap_reasons": {"hole": 3}}, "scrap_reasons"),
        ({"state": "setup", "produced": 5}, "produced"),
        ({"state": "breakdown", "scrap": 1}, "scrap"),
    ],
)
def test_an_interval_that_cannot_be_measured_is_refused_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {
        "work_center": "CUT",
        "start": at("08:00"),
        "end": at("09:00"),
        "state": "producing",
        "produced": 0,
        "scrap": 0,
        "ideal_seconds_per_unit": Decimal(30),
    }
    values.update(change)

    with pytest.raises(KpiInputError) as caught:
        StateRecord(**values)  # type: ignore[arg-type]

    assert caught.value.field == field


def test_a_state_given_as_text_becomes_the_state() -> None:
    record = StateRecord("CUT", at("08:00"), at("09:00"), "setup")  # type: ignore[arg-type]

    assert record.state is MachineState.SETUP
