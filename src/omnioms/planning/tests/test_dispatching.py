"""The dispatching rules: feasible plans under every constraint, ranked as each rule says."""

import random
from datetime import date

import pytest

from omnioms.planning.bottleneck import bottleneck_problem, bottlenecks, load_table
from omnioms.planning.dispatching import RULES, dispatch
from omnioms.planning.model import Fixed, Operation, Order, Problem, WorkCenter, check_plan
from omnioms.planning.tests.shapes import DAY, office_calendar, one_step, problem


def small_factory(seed: int = 3, orders: int = 14) -> Problem:
    """Cutting, two sewing lines with family setups, pressing with an alternative, packing."""
    calendar = office_calendar(days=70, holidays=(date(2026, 12, 10),))
    centers = (
        WorkCenter("cut", 1, calendar),
        WorkCenter("sew", 2, calendar, {("knit", "woven"): 45, ("woven", "knit"): 30}),
        WorkCenter("press", 1, calendar),
        WorkCenter("steam", 1, None),
        WorkCenter("pack", 1, calendar),
    )
    rng = random.Random(seed)
    made = []
    for n in range(orders):
        family = rng.choice(["knit", "woven"])
        batch = rng.choice([None, 20])
        ops = [
            Operation(f"o{n}.cut", {"cut": rng.randint(30, 120)}, release=rng.randint(0, 2 * DAY)),
            Operation(
                f"o{n}.sew", {"sew": rng.randint(120, 600)}, family=family, transfer_batch=batch
            ),
            Operation(
                f"o{n}.press", {"press": rng.randint(30, 90), "steam": 120}, transfer_batch=batch
            ),
            Operation(f"o{n}.pack", {"pack": rng.randint(20, 60)}),
        ]
        made.append(
            Order(f"o{n}", tuple(ops), due=rng.randint(DAY, 8 * DAY), weight=rng.choice([1, 2, 5]))
        )
    started = made[0].operations[0]
    made[0] = Order(
        made[0].id,
        (
            Operation(started.id, started.durations, fixed=Fixed("cut", 0, 8 * 60, 8 * 60 + 90)),
            *made[0].operations[1:],
        ),
        due=made[0].due,
        weight=made[0].weight,
    )
    return Problem(centers, tuple(made))


@pytest.mark.parametrize("rule", RULES)
def test_every_rule_gives_a_plan_that_keeps_every_constraint(rule):
    shop = small_factory()
    plan = dispatch(shop, rule)
    assert check_plan(shop, plan) == []
    assert plan.method == f"dispatch:{rule}"
    assert len(plan.operations) == sum(len(o.operations) for o in shop.orders)


def test_earliest_due_date_runs_the_earliest_due_first():
    shop = problem(
        one_step("late", "cut", 10, due=500),
        one_step("soon", "cut", 10, due=100),
        centers=(WorkCenter("cut"),),
    )
    assert dispatch(shop, "edd").by_operation()["soon.1"].start == 0
    assert dispatch(shop, "fifo").by_operation()["late.1"].start == 0  # first in the list


def test_most_work_remaining_runs_the_longest_order_first():
    shop = Problem(
        (WorkCenter("cut"), WorkCenter("sew")),
        (
            one_step("short", "cut", 10, due=0),
            Order(
                "long",
                (Operation("long.1", {"cut": 10}), Operation("long.2", {"sew": 300})),
                due=900,
            ),
        ),
    )
    assert dispatch(shop, "mwkr").by_operation()["long.1"].start == 0


def test_fifo_serves_the_first_to_arrive_at_the_work_centre():
    shop = problem(
        one_step("first", "cut", 10, due=900, release=5),
        one_step("later", "cut", 10, due=0, release=7),
        centers=(WorkCenter("cut"),),
    )
    plan = dispatch(shop, "fifo")
    assert plan.by_operation()["first.1"].start == 5


def test_a_given_sequence_is_followed_on_its_machine():
    shop = problem(
        one_step("a", "cut", 10),
        one_step("b", "cut", 10),
        one_step("c", "cut", 10),
        centers=(WorkCenter("cut"),),
    )
    plan = dispatch(shop, "edd", sequences={("cut", 0): ["c.1", "a.1", "b.1"]})
    starts = plan.by_operation()
    assert starts["c.1"].start < starts["a.1"].start < starts["b.1"].start


def test_the_load_table_finds_the_bottleneck():
    shop = small_factory()
    horizon = 10 * DAY
    table = {row.work_center: row for row in load_table(shop, horizon)}
    sewing = sum(o.operations[1].durations["sew"] for o in shop.orders) / 60
    assert table["sew"].load_hours == pytest.approx(sewing, abs=0.01)
    # two lines, 8 working hours a day, 8 working days (one holiday) in the first 10 days
    assert table["sew"].capacity_hours == 2 * 8 * 7
    assert table["sew"].utilisation == pytest.approx(sewing / (2 * 8 * 7), abs=1e-3)
    assert bottlenecks(list(table.values()))[0] == "sew"


def test_the_bottleneck_problem_carries_heads_and_tails():
    shop = small_factory()
    sub = bottleneck_problem(shop, "sew")
    assert {o.id for o in sub.orders} == {o.operations[1].id for o in shop.orders}
    original = {o.operations[1].id: o for o in shop.orders}
    for order in sub.orders:
        whole = original[order.id]
        assert order.due < whole.due  # pressing and packing still to come
        assert order.operations[0].release >= whole.operations[0].release


def test_bottleneck_first_plans_the_factory_within_every_constraint():
    from omnioms.planning.model import Settings
    from omnioms.planning.scheduling import schedule

    shop = small_factory()
    plan = schedule(shop, Settings(time_limit=3.0, workers=2))
    assert check_plan(shop, plan) == []
    assert any(note.startswith("bottleneck first: sew") for note in plan.notes)
    rules = [dispatch(shop, rule) for rule in RULES]
    assert plan.weighted_tardiness <= min(p.weighted_tardiness for p in rules)


def test_a_large_plan_is_improved_window_by_window_within_every_constraint():
    from omnioms.planning.model import Settings
    from omnioms.planning.scheduling import schedule

    shop = small_factory(orders=20)
    settings = Settings(
        time_limit=4.0, workers=2, max_full_operations=10, window_operations=20, window_seconds=1.0
    )
    plan = schedule(shop, settings)
    assert "large: improved window by window" in plan.notes
    assert check_plan(shop, plan) == []
    assert plan.lower_bound is None
    assert plan.weighted_tardiness <= min(dispatch(shop, rule).weighted_tardiness for rule in RULES)
