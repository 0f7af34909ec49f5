"""``load_demo`` against the database: two weeks of history through the real intake."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count
from pytest_django import DjangoDbBlocker

from omnioms.catalog.models import Sku
from omnioms.channels.models import DeadLetter, InboundPayload, PayloadOutcome
from omnioms.core.models import Job, JobStatus, Location
from omnioms.core.roles import Role
from omnioms.customers.models import Customer
from omnioms.demo.loader import ACCOUNTS, LOCATIONS, PASSWORD, USERS, load_demo
from omnioms.floor.models import DailyClose, FloorException, OperationReport, StateInterval
from omnioms.forecasting.models import ForecastRun
from omnioms.orders.models import Order, OrderEvent, OrderEventKind, OrderLineComponent
from omnioms.planning.models import (
    Plan,
    PlannedOrder,
    PlanStatus,
    RequirementsRun,
    RushRequest,
    RushStatus,
)
from omnioms.production.models import Bom, Routing, WorkCenter

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[str]:
    """One small load shared by the module's tests, rolled back when they are done."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(seed=1, days=14, plan_seconds=2)
        transaction.set_rollback(True)


def test_the_demo_company_has_its_warehouse_and_two_stores(demo: str) -> None:
    codes = dict(Location.objects.values_list("code", "kind"))

    assert codes == {"wh-hz": "warehouse", "store-sh": "store", "store-hz": "store"}
    assert [loc.code for loc in LOCATIONS] == ["wh-hz", "store-sh", "store-hz"]


def test_every_channel_account_receives_orders_at_its_location(demo: str) -> None:
    counts = dict(Order.objects.values_list("account__name").annotate(n=Count("pk")))

    assert set(counts) == {account.name for account in ACCOUNTS}
    assert all(count > 0 for count in counts.values())
    assert set(
        Order.objects.filter(account__name="pos-shanghai").values_list("location__code", flat=True)
    ) == {"store-sh"}
    assert set(
        Order.objects.filter(account__name="shopify-global").values_list("currency", flat=True)
    ) == {"USD"}


def test_each_role_has_a_user_in_its_group_who_logs_in_with_the_demo_password(
    demo: str,
) -> None:
    for username, role, store in USERS:
        user = User.objects.get(username=username)
        assert list(user.groups.values_list("name", flat=True)) == [role]
        assert user.check_password(PASSWORD)
        assert (user.staff_profile.store.code if user.staff_profile.store else None) == store
    assert {role for _, role, _ in USERS} == {
        Role.ADMINISTRATOR, Role.MANAGER, Role.ORDER_CLERK, Role.STORE_CLERK,
        Role.CUSTOMER_SERVICE, Role.PLANNER, Role.SUPERVISOR,
    }  # fmt: skip


def test_orders_arrive_as_stored_platform_payloads(demo: str) -> None:
    assert not Order.objects.filter(payloads__isnull=True).exists()
    sources = set(InboundPayload.objects.values_list("account__name", "source").distinct())
    assert ("tmall-flagship", "webhook") in sources
    assert ("pos-hangzhou", "file") in sources


def test_a_member_shopping_in_both_stores_is_one_customer_across_two_accounts(
    demo: str,
) -> None:
    across = Customer.objects.annotate(accounts=Count("orders__account", distinct=True)).filter(
        accounts__gt=1, merged_into__isnull=True
    )

    assert across.exists()


def test_a_shopper_known_by_email_and_by_phone_is_merged_into_one_customer(demo: str) -> None:
    merged = Customer.objects.filter(merged_into__isnull=False).first()

    assert merged is not None
    assert merged.merged_into is not None
    assert not merged.orders.exists()
    assert merged.merged_into.orders.count() >= 3


def test_bad_payloads_are_dead_lettered_with_their_reason(demo: str) -> None:
    reasons = list(DeadLetter.objects.values_list("account__name", "reason"))

    assert any(a == "douyin-shop" and "'79.00元' is not a number" in r for a, r in reasons)
    # The history ends now, so which sale carries the typo (and its quantity) varies by day.
    typo = re.compile(r"数量: '\d+件' is not a number")
    assert any(a == "pos-hangzhou" and typo.search(r) for a, r in reasons)
    assert all(reason for _, reason in reasons)


def test_repeated_and_out_of_order_deliveries_show_on_the_timelines(demo: str) -> None:
    outcomes = set(InboundPayload.objects.values_list("outcome", flat=True))

    assert {PayloadOutcome.DUPLICATE, PayloadOutcome.STALE, PayloadOutcome.UPDATED} <= outcomes
    stale = OrderEvent.objects.filter(kind=OrderEventKind.STALE_IGNORED)
    assert {event.order.account.name for event in stale} >= {"shopify-global", "douyin-shop"}


def test_bundle_lines_carry_their_components_matched_to_catalogue_skus(demo: str) -> None:
    components = OrderLineComponent.objects.all()

    assert components.exists()
    assert not components.filter(sku__isnull=True).exists()


def test_loading_again_adds_nothing_and_reports_the_same(demo: str) -> None:
    before = (Order.objects.count(), InboundPayload.objects.count(), User.objects.count())

    again = load_demo(seed=1, days=14)

    assert (Order.objects.count(), InboundPayload.objects.count(), User.objects.count()) == before
    assert again.split("\n\n")[:-1] == demo.split("\n\n")[:-1]
    assert "already loaded" in again


def test_the_report_names_users_password_counts_and_where_to_go(demo: str) -> None:
    assert PASSWORD in demo
    for username, _, _ in USERS:
        assert username in demo
    for account in ACCOUNTS:
        assert account.name in demo
    assert "/api/v1/webhooks/tmall-flagship" in demo
    assert "/admin/" in demo
    assert "dead letters" in demo


def test_the_demo_factory_has_master_data_a_forecast_and_a_requirements_run(demo: str) -> None:
    centres = set(WorkCenter.objects.values_list("code", flat=True))
    # the garment factory's own, and the floor demo reports on them (no workshop of its own)
    assert centres == {"CUT", "SEW-1", "SEW-2", "PRESS", "PACK"}
    assert Bom.objects.exists()
    assert Routing.objects.exists()
    jobs = dict(Job.objects.values_list("kind", "status"))
    assert jobs == {
        "forecasting.run": JobStatus.SUCCEEDED,
        "planning.requirements": JobStatus.SUCCEEDED,
    }
    run = ForecastRun.objects.get()
    assert run.figures.exists()
    assert RequirementsRun.objects.filter(summary__has_key="make").count() == 1
    kinds = set(PlannedOrder.objects.values_list("kind", flat=True))
    assert kinds == {"make", "buy"}, "the factory both makes its garments and buys materials"
    assert "Factory: 5 work centres" in demo


def test_the_demo_has_this_mornings_rush_order_accepted_and_its_t3_loop_answered(
    demo: str,
) -> None:
    # whatever the weekday and however far ahead the floor is, the demo shows a T-3 loop: the
    # rush order is due in two days with its work open
    rush = RushRequest.objects.get()
    assert rush.status == RushStatus.ACCEPTED
    assert list(rush.steps.values_list("action", "by__username")) == [
        ("requested", "manager"),
        ("assessed", None),
        ("proposed", "planner"),
        ("accepted", "supervisor"),
        ("published", "supervisor"),
    ]
    assert Plan.objects.get(status=PlanStatus.PUBLISHED) == rush.what_if
    loop = FloorException.objects.get(type__code="t3", production_order=rush.production_order)
    assert loop.status != "open", "the supervisor answered it"
    assert f"rush order {rush.number}" in demo


def test_the_demo_floor_has_two_weeks_of_reports_closes_a_t3_loop_and_a_published_plan(
    demo: str,
) -> None:
    published = Plan.objects.get(status=PlanStatus.PUBLISHED)
    assert published.operations.exists()
    assert OperationReport.objects.count() > 50
    assert DailyClose.objects.count() >= 10, "a daily close for each day of the two weeks"
    assert FloorException.objects.filter(type__code="t3").exists()
    assert FloorException.objects.filter(status="closed").exists()
    assert FloorException.objects.exclude(status="closed").exclude(type__code="t3").exists()
    assert "Shop floor:" in demo
    # the reports are on the garment factory's orders in the published plan
    reported = set(
        OperationReport.objects.values_list("operation__production_order__sku__code", flat=True)
    )
    assert reported <= set(Sku.objects.filter(kind="made").values_list("code", flat=True))
    assert not OperationReport.objects.exclude(operation__planned__plan=published).exists(), (
        "every report is on an operation of the published plan"
    )
    centres = set(StateInterval.objects.values_list("work_center__code", flat=True))
    assert {"CUT", "SEW-1"} <= centres
    shifts = set(StateInterval.objects.values_list("shift", flat=True))
    assert shifts & {"早班 day", "晚班 evening"}, "OEE by the factory's own shifts"
