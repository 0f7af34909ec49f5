"""BOM and routing pages: versions saved whole, checked in the domain's terms, copied into a
new draft and activated explicitly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.catalog.models import Sku, SkuKind
from omnioms.core.roles import Role
from omnioms.production.models import (
    Bom,
    BomLine,
    Routing,
    RoutingOperation,
    Supplier,
    SupplyTerm,
    VersionStatus,
    WorkCenter,
)
from omnioms.production.services import roll_up_standard_costs
from omnioms.production.tests.factories import day_calendar, sku
from omnioms.production.tests.pages import login, rows

pytestmark = pytest.mark.django_db

D = Decimal
JAN = date(2026, 1, 1)


def bom_of(code: str, *lines: tuple[str, str], version: int = 1, **fields: Any) -> Bom:
    fields.setdefault("effective_from", JAN)
    bom = Bom.objects.create(sku=sku(code), version=version, **fields)
    for position, (component, quantity) in enumerate(lines, start=1):
        BomLine.objects.create(
            bom=bom, position=position, component=sku(component), quantity_per=D(quantity)
        )
    return bom


@pytest.fixture
def shirt() -> Bom:
    """SHIRT (made) uses a BODY (made, from 1.4 m of FABRIC) and 6 BUTTONs."""
    for code in ("FABRIC", "BUTTON"):
        sku(code, SkuKind.BOUGHT)
    bom_of("BODY", ("FABRIC", "1.4"))
    return bom_of("SHIRT", ("BODY", "1"), ("BUTTON", "6"))


def header(**fields: Any) -> dict[str, Any]:
    data = {
        "head-effective_from": "2026-01-01",
        "head-effective_to": "",
        "head-status": "active",
        "head-note": "",
    }
    data.update({f"head-{key}": value for key, value in fields.items()})
    return data


def line(component: str, quantity: str, scrap: str = "") -> dict[str, str]:
    return {"component": component, "quantity_per": quantity, "scrap_factor": scrap}


def post_bom(client: Client, bom: Bom, lines: list[dict[str, str]], **head: Any) -> Any:
    return client.post(
        reverse("production:bom", args=[bom.pk]), {**header(**head), **rows("lines", lines)}
    )


def stored(bom: Bom) -> list[tuple[str, Decimal, Decimal]]:
    return [
        (row.component.code, row.quantity_per, row.scrap_factor)
        for row in bom.lines.order_by("position")
    ]


def test_the_bom_page_shows_the_materials_of_100_units_and_the_standard_cost(
    client: Client, shirt: Bom
) -> None:
    mill = Supplier.objects.create(code="MILL", name="Mill")
    for code, price in (("FABRIC", "20"), ("BUTTON", "0.1")):
        SupplyTerm.objects.create(
            sku=Sku.objects.get(code=code), supplier=mill, lead_time_days=7, unit_price=D(price)
        )
    login(client, Role.SUPERVISOR)

    response = client.get(reverse("production:bom", args=[shirt.pk]))

    needs = response.context["needs"]
    assert [(getattr(m, "code", m), amount) for m, amount in needs.materials] == [
        ("BUTTON", "600"),
        ("FABRIC", "140"),
    ]
    assert needs.cost == D("28.6000")  # 1.4 × 20 + 6 × 0.1
    assert "Standard cost: 28.6000 CNY per unit" in response.content.decode()
    assert roll_up_standard_costs() == 2  # SHIRT and BODY
    assert Sku.objects.get(code="SHIRT").standard_cost == D("28.6")


def test_a_planner_saves_a_bom_version_with_its_lines_in_order(client: Client, shirt: Bom) -> None:
    sku("THREAD", SkuKind.BOUGHT)
    login(client, Role.PLANNER)

    response = post_bom(
        client,
        shirt,
        [line("THREAD", "12.5", "0.1"), line("BODY", "1"), line("", "", "")],
        note="thread added",
        effective_to="2027-01-01",
    )

    assert response.status_code == 302
    shirt.refresh_from_db()
    assert stored(shirt) == [("THREAD", D("12.5"), D("0.1")), ("BODY", D(1), D(0))]
    assert (shirt.note, shirt.effective_to) == ("thread added", date(2027, 1, 1))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([line("SOCK", "1")], "no SKU with this code"),
        ([line("BUTTON", "0")], "must be more than 0"),
        ([line("BUTTON", "-2")], "must be more than 0"),
        ([line("BUTTON", "1", "1")], "must be below 1"),
        ([line("BUTTON", "1", "-0.1")], "greater than or equal to 0"),
        ([line("SHIRT", "1")], "a SKU cannot be its own component"),
        ([line("BUTTON", "1"), line("BUTTON", "2")], "already on another line"),
        ([line("BUTTON", "abc")], "Enter a number"),
    ],
)
def test_a_bad_bom_line_is_named_and_nothing_is_saved(
    client: Client, shirt: Bom, lines: list[dict[str, str]], message: str
) -> None:
    login(client, Role.PLANNER)

    response = post_bom(client, shirt, lines)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert stored(shirt) == [("BODY", D(1), D(0)), ("BUTTON", D(6), D(0))]


def test_a_cycle_through_the_boms_in_effect_is_refused_with_its_path(
    client: Client, shirt: Bom
) -> None:
    body = Bom.objects.get(sku__code="BODY")
    login(client, Role.PLANNER)

    response = post_bom(client, body, [line("FABRIC", "1.4"), line("SHIRT", "1")])

    assert response.status_code == 400
    assert "The components make a cycle: BODY → SHIRT → BODY" in response.content.decode()
    assert stored(body) == [("FABRIC", D("1.4"), D(0))]


def test_the_header_dates_must_make_sense_and_not_overlap_another_active_version(
    client: Client, shirt: Bom
) -> None:
    bom_of("SHIRT", ("BUTTON", "5"), version=2, effective_from=date(2026, 6, 1))
    lines = [line("BODY", "1"), line("BUTTON", "6")]
    login(client, Role.PLANNER)

    backwards = post_bom(client, shirt, lines, effective_to="2025-01-01")
    overlapping = post_bom(client, shirt, lines)  # version 1 open-ended, version 2 from June
    draft = post_bom(client, shirt, lines, status="draft")

    assert backwards.status_code == 400
    assert "must be after effective from" in backwards.content.decode()
    assert overlapping.status_code == 400
    assert "overlaps version 2, in effect from 2026-06-01" in overlapping.content.decode()
    assert draft.status_code == 302
    assert Bom.objects.get(pk=shirt.pk).status == "draft"


def test_a_draft_cannot_be_made_active_through_the_form(client: Client, shirt: Bom) -> None:
    shirt.status = VersionStatus.DRAFT
    shirt.save()
    login(client, Role.PLANNER)

    response = post_bom(client, shirt, [line("BODY", "1")], status="active")

    assert response.status_code == 400
    assert Bom.objects.get(pk=shirt.pk).status == "draft"


def test_a_new_version_copies_the_latest_as_a_draft_and_activation_ends_the_old_one(
    client: Client, shirt: Bom
) -> None:
    login(client, Role.PLANNER)
    today = timezone.localdate()

    created = client.post(reverse("production:bom_new", args=[shirt.sku_id]))
    draft = Bom.objects.get(sku=shirt.sku, version=2)
    activated = client.post(reverse("production:bom_activate", args=[draft.pk]), follow=True)

    assert created["Location"] == reverse("production:bom", args=[draft.pk])
    assert stored(draft) == stored(shirt)
    assert f"Version 1 now ends on {today.isoformat()}." in activated.content.decode()
    draft.refresh_from_db()
    shirt.refresh_from_db()
    assert (draft.status, draft.effective_from) == ("active", today)
    assert (shirt.status, shirt.effective_to) == ("active", today)
    listing = client.get(reverse("production:sku_boms", args=[shirt.sku_id]))
    assert listing.context["current"] == draft.pk


def test_activation_is_refused_when_a_later_active_version_would_overlap(
    client: Client, shirt: Bom
) -> None:
    later = bom_of("SHIRT", ("BUTTON", "5"), version=2, effective_from=date(2030, 1, 1))
    draft = bom_of("SHIRT", ("BUTTON", "4"), version=3, status="draft", effective_from=JAN)
    login(client, Role.PLANNER)

    response = client.post(reverse("production:bom_activate", args=[draft.pk]), follow=True)

    assert "version 2 is active from 2030-01-01" in response.content.decode()
    draft.refresh_from_db()
    later.refresh_from_db()
    shirt.refresh_from_db()
    assert (draft.status, later.effective_to) == ("draft", None)
    assert shirt.status == "active"  # its archiving went back with the refusal


def test_a_version_activated_from_the_same_first_day_archives_the_one_it_supersedes(
    client: Client, shirt: Bom
) -> None:
    draft = bom_of("SHIRT", ("BUTTON", "4"), version=2, status="draft", effective_from=JAN)
    login(client, Role.PLANNER)

    response = client.post(reverse("production:bom_activate", args=[draft.pk]), follow=True)

    assert "Version 1 is archived." in response.content.decode()
    shirt.refresh_from_db()
    assert (shirt.status, shirt.effective_to) == ("archived", None)
    assert Bom.objects.get(pk=draft.pk).status == "active"


def test_an_empty_version_is_not_activated(client: Client) -> None:
    empty = bom_of("SHIRT", status="draft")
    login(client, Role.PLANNER)

    response = client.post(reverse("production:bom_activate", args=[empty.pk]), follow=True)

    assert "add lines before activating" in response.content.decode()
    assert Bom.objects.get(pk=empty.pk).status == "draft"


def test_a_first_version_makes_an_empty_draft_and_activating_it_marks_the_sku_made(
    client: Client,
) -> None:
    jacket = sku("JACKET", SkuKind.RESOLD)
    sku("FABRIC", SkuKind.BOUGHT)
    login(client, Role.PLANNER)

    client.post(reverse("production:bom_new", args=[jacket.pk]))
    draft = Bom.objects.get(sku=jacket)
    post_bom(client, draft, [line("FABRIC", "2")], status="draft")
    client.post(reverse("production:bom_activate", args=[draft.pk]))

    assert (draft.version, stored(draft)) == (1, [("FABRIC", D(2), D(0))])
    assert Sku.objects.get(pk=jacket.pk).kind == SkuKind.MADE


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ORDER_CLERK])
def test_only_those_who_may_change_boms_save_copy_or_activate_them(
    client: Client, shirt: Bom, role: str
) -> None:
    login(client, role)

    saved = post_bom(client, shirt, [line("BUTTON", "1")])
    copied = client.post(reverse("production:bom_new", args=[shirt.sku_id]))
    activated = client.post(reverse("production:bom_activate", args=[shirt.pk]))

    assert [saved.status_code, copied.status_code, activated.status_code] == [403] * 3
    assert Bom.objects.filter(sku=shirt.sku).count() == 1
    assert len(stored(shirt)) == 2


# ----------------------------------------------------------------------------------------------
# Routings


@pytest.fixture
def routing() -> Routing:
    calendar = day_calendar()
    cut = WorkCenter.objects.create(code="CUT", name="Cutting", calendar=calendar)
    WorkCenter.objects.create(code="SEW-1", name="Sewing 1", calendar=calendar, hourly_cost=38)
    WorkCenter.objects.create(code="SEW-2", name="Sewing 2", calendar=calendar)
    found = Routing.objects.create(sku=sku("SHIRT"), version=1, effective_from=JAN)
    RoutingOperation.objects.create(
        routing=found, sequence=10, name="Cut", work_center=cut, run_seconds_per_unit=45
    )
    return found


def operation(sequence: int, centre: str, *alternatives: str, **fields: Any) -> dict[str, Any]:
    codes = WorkCenter.objects.in_bulk(field_name="code")
    return {
        "sequence": sequence,
        "name": fields.get("name", f"op {sequence}"),
        "work_center": codes[centre].pk,
        "alternatives": [codes[c].pk for c in alternatives],
        "setup_minutes": fields.get("setup", "0"),
        "run_seconds_per_unit": fields.get("run", "60"),
        "min_transfer_batch": fields.get("batch", ""),
    }


def post_routing(client: Client, found: Routing, ops: list[dict[str, Any]], **head: Any) -> Any:
    data = {**header(**head), **rows("operations", ops)}
    data.pop("head-note")
    return client.post(reverse("production:routing", args=[found.pk]), data)


def test_a_planner_saves_operations_with_alternatives_and_sees_minutes_per_work_centre(
    client: Client, routing: Routing
) -> None:
    login(client, Role.PLANNER)

    response = post_routing(
        client,
        routing,
        [
            operation(20, "SEW-1", "SEW-2", setup="30", run="540.5", batch="20"),
            operation(10, "CUT", setup="20", run="45"),
        ],
    )

    assert response.status_code == 302
    ops = list(routing.operations.order_by("sequence"))
    assert [(op.sequence, op.work_center.code) for op in ops] == [(10, "CUT"), (20, "SEW-1")]
    assert [w.code for w in ops[1].alternatives.all()] == ["SEW-2"]
    assert (ops[1].run_seconds_per_unit, ops[1].min_transfer_batch) == (D("540.5"), 20)
    page = client.get(response["Location"])
    assert [(c.code, minutes) for c, minutes in page.context["totals"]] == [
        ("CUT", D("95.0")),  # 20 + 100 × 45 s
        ("SEW-1", D("930.8")),  # 30 + 100 × 540.5 s
    ]


@pytest.mark.parametrize(
    ("ops", "message"),
    [
        (lambda: [operation(10, "CUT"), operation(10, "SEW-1")], "has this sequence number"),
        (lambda: [operation(10, "CUT", "CUT")], "the work centre itself is not an alternative"),
        (lambda: [operation(10, "CUT", run="-1")], "greater than or equal to 0"),
        (lambda: [operation(10, "CUT", batch="0")], "greater than or equal to 1"),
        (lambda: [{**operation(10, "CUT"), "work_center": 999}], "Select a valid choice"),
    ],
)
def test_a_bad_operation_is_named_and_nothing_is_saved(
    client: Client, routing: Routing, ops: Any, message: str
) -> None:
    login(client, Role.PLANNER)

    response = post_routing(client, routing, ops())

    assert response.status_code == 400
    assert message in response.content.decode()
    assert [(op.sequence, op.name) for op in routing.operations.all()] == [(10, "Cut")]


def test_a_new_routing_version_copies_operations_and_alternatives(
    client: Client, routing: Routing
) -> None:
    first = routing.operations.get()
    first.alternatives.set([WorkCenter.objects.get(code="SEW-2")])
    login(client, Role.MANAGER)

    client.post(reverse("production:routing_new", args=[routing.sku_id]))

    draft = Routing.objects.get(sku=routing.sku, version=2)
    copied = draft.operations.get()
    assert (draft.status, copied.name, copied.run_seconds_per_unit) == ("draft", "Cut", D(45))
    assert [w.code for w in copied.alternatives.all()] == ["SEW-2"]
    assert draft.effective_from == timezone.localdate()
