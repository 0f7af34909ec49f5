"""The Gantt chart's move check and the rush-order what-if."""

from omnioms.planning.model import Fixed, Operation, Order, Problem, WorkCenter, check_plan
from omnioms.planning.moves import Move, check_move, compare_plans, insert_order
from omnioms.planning.scheduling import schedule
from omnioms.planning.tests.shapes import FAST, office_calendar


def line() -> Problem:
    """Two orders of cut then sew; the sewing work centre has two lines."""
    return Problem(
        (WorkCenter("cut"), WorkCenter("sew", machines=2)),
        (
            Order(
                "a", (Operation("a.cut", {"cut": 60}), Operation("a.sew", {"sew": 120})), due=1000
            ),
            Order(
                "b", (Operation("b.cut", {"cut": 60}), Operation("b.sew", {"sew": 120})), due=1000
            ),
        ),
    )


def test_a_move_later_pushes_what_follows_and_reports_it():
    shop = line()
    plan = schedule(shop, FAST)
    first_cut = min(
        (op for op in plan.operations if op.work_center == "cut"), key=lambda op: op.start
    )
    result = check_move(shop, plan, Move(first_cut.operation, start=100))
    assert result.accepted, result.reason
    assert result.plan is not None
    assert check_plan(shop, result.plan) == []
    moved = result.plan.by_operation()
    assert moved[first_cut.operation].start == 100
    knocked = {shift.operation for shift in result.knock_on}
    order = first_cut.order
    assert f"{order}.sew" in knocked  # its sewing must wait for the cut
    assert moved[f"{order}.sew"].start >= 160


def test_a_move_to_another_allowed_machine_is_accepted():
    shop = line()
    plan = schedule(shop, FAST)
    sew = plan.by_operation()["a.sew"]
    result = check_move(shop, plan, Move("a.sew", work_center="sew", machine=1 - sew.machine))
    assert result.accepted, result.reason
    assert result.plan is not None
    assert result.plan.by_operation()["a.sew"].machine == 1 - sew.machine


def test_a_move_before_the_predecessor_ends_is_refused():
    shop = line()
    plan = schedule(shop, FAST)
    result = check_move(shop, plan, Move("a.sew", start=0))
    assert not result.accepted
    assert "before a.cut ends" in result.reason


def test_a_move_to_a_work_centre_the_routing_does_not_allow_is_refused():
    shop = line()
    plan = schedule(shop, FAST)
    result = check_move(shop, plan, Move("a.sew", work_center="cut"))
    assert not result.accepted
    assert "cannot run on work centre cut" in result.reason


def test_a_move_into_time_off_is_refused():
    calendar = office_calendar()
    shop = Problem(
        (WorkCenter("cut", calendar=calendar),),
        (Order("a", (Operation("a.cut", {"cut": 60}),), due=10_000),),
    )
    plan = schedule(shop, FAST)
    result = check_move(shop, plan, Move("a.cut", start=20 * 60))  # Monday 20:00
    assert not result.accepted
    assert "outside the working time" in result.reason


def test_a_move_over_a_started_operation_is_refused():
    shop = Problem(
        (WorkCenter("cut"),),
        (
            Order(
                "s", (Operation("s.cut", {"cut": 100}, fixed=Fixed("cut", 0, 200, 300)),), due=1000
            ),
            Order("a", (Operation("a.cut", {"cut": 60}),), due=1000),
        ),
    )
    plan = schedule(shop, FAST)
    result = check_move(shop, plan, Move("a.cut", start=250))
    assert not result.accepted
    assert "busy with s.cut" in result.reason
    assert not check_move(shop, plan, Move("s.cut", start=0)).accepted


def test_a_rush_order_reports_the_orders_it_makes_late():
    shop = Problem(
        (WorkCenter("cut"),),
        (
            Order("a", (Operation("a.cut", {"cut": 100}),), due=100),
            Order("b", (Operation("b.cut", {"cut": 100}),), due=250),
        ),
    )
    plan = schedule(shop, FAST)
    assert plan.weighted_tardiness == 0
    rush = Order("rush", (Operation("rush.cut", {"cut": 100}),), due=100, weight=50)
    what_if = insert_order(shop, plan, rush, FAST)
    after = {r.order: r for r in what_if.after.orders}
    assert after["rush"].tardiness == 0
    late = {impact.order: impact for impact in what_if.made_late}
    assert set(late) == {"a", "b"}
    assert late["a"].lateness_after == 100
    assert late["b"].lateness_after == 50
    assert compare_plans(plan, plan) == ()


def test_a_rush_order_moves_nothing_that_ends_before_it_can_start_and_keeps_the_lines_order():
    from omnioms.planning.model import Settings
    from omnioms.planning.tests.shapes import DAY, sewing_shop

    shop = sewing_shop(60, seed=7)
    plan = schedule(shop, Settings(time_limit=2.0, workers=2))
    rush = Order(
        "rush",
        (
            Operation("rush.cut", {"CUT": 60}, release=2 * DAY),
            Operation("rush.sew", {"SEW": 300}, family="jacket"),
            Operation("rush.press", {"PRESS": 30}),
        ),
        due=4 * DAY,
        weight=11,
    )
    what_if = insert_order(shop, plan, rush, Settings(time_limit=5.0), frozen_until=DAY)

    widened = Problem(shop.work_centers, (*shop.orders, rush))
    assert check_plan(widened, what_if.after) == []
    before, after = plan.by_operation(), what_if.after.by_operation()
    for op_id, got in before.items():
        if got.end <= 2 * DAY or got.start < DAY:  # before the rush can start, or being done
            assert after[op_id] == got
    # each sewing line runs what it ran in the published plan, in the same order
    for m in range(4):
        published = [
            o.operation
            for o in sorted(plan.operations, key=lambda o: o.start)
            if (o.work_center, o.machine) == ("SEW", m)
        ]
        now = [
            o.operation
            for o in sorted(what_if.after.operations, key=lambda o: o.start)
            if (o.work_center, o.machine) == ("SEW", m) and o.order != "rush"
        ]
        assert now == published
    assert {i.order for i in what_if.impact} >= {"rush"}
