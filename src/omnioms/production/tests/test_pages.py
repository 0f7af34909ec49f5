"""The production pages: who may open and save them, and the work centre, calendar, supplier
and SKU forms, valid and not."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from omnioms.catalog.models import ProductFamily, Sku, SkuKind
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.inventory.services import receive_stock
from omnioms.production.models import (
    Bom,
    Calendar,
    CalendarDay,
    SetupTime,
    Shift,
    Supplier,
    SupplyTerm,
    WorkCenter,
)
from omnioms.production.tests.factories import day_calendar, one_of_each_master, sku
from omnioms.production.tests.pages import as_sent, login, rows
from omnioms.testing import make_location, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def master() -> None:
    one_of_each_master()


def pages() -> list[str]:
    centre, calendar = WorkCenter.objects.get(), Calendar.objects.get()
    shirt, bom = Sku.objects.get(code="SHIRT"), Bom.objects.get()
    return [
        reverse("production:overview"),
        reverse("production:work_centre", args=[centre.pk]),
        reverse("production:work_centre_new"),
        reverse("production:calendar", args=[calendar.pk]),
        reverse("production:calendar_new"),
        reverse("production:suppliers"),
        reverse("production:supplier", args=[Supplier.objects.get().pk]),
        reverse("production:skus"),
        reverse("production:sku_boms", args=[shirt.pk]),
        reverse("production:bom", args=[bom.pk]),
        reverse("production:sku_routings", args=[shirt.pk]),
        reverse("production:routing", args=[shirt.routings.get().pk]),
        reverse("production:workbook"),
        reverse("production:export"),
    ]


@pytest.mark.parametrize("role", [Role.PLANNER, Role.MANAGER, Role.SUPERVISOR])
def test_planners_managers_and_supervisors_open_every_production_page(
    client: Client, master: None, role: str
) -> None:
    login(client, role)

    assert [client.get(url).status_code for url in pages()] == [200] * len(pages())


def test_every_form_saved_as_the_browser_shows_it_is_accepted_and_changes_nothing(
    client: Client, master: None
) -> None:
    """Untouched blank rows stay blank: a page never refuses what it showed."""
    login(client, Role.PLANNER)
    before = _everything()

    urls = pages()
    for url in (urls[1], urls[3], urls[6], urls[7], urls[9], urls[11]):  # the editing pages
        page = client.get(url)
        response = client.post(url, as_sent(page.content.decode()))
        assert response.status_code == 302, (url, response.content.decode()[-3000:])

    assert _everything() == before


def _everything() -> list[object]:
    """Every master-data row without its id (shifts and version lines are rewritten whole)."""
    from django.forms.models import model_to_dict

    from omnioms.production import models

    found: list[object] = []
    for model in (
        Sku,
        models.WorkCenter,
        models.SetupTime,
        models.Calendar,
        models.Shift,
        models.CalendarDay,
        models.Supplier,
        models.SupplyTerm,
        models.Bom,
        models.BomLine,
        models.Routing,
        models.RoutingOperation,
    ):
        found += [
            {k: v for k, v in model_to_dict(row).items() if k != "id"}
            for row in model.objects.order_by("pk")
        ]
    found += list(models.ShiftBreak.objects.values_list("shift__weekday", "start", "end"))
    return found


@pytest.mark.parametrize("role", [Role.ORDER_CLERK, Role.STORE_CLERK, Role.CUSTOMER_SERVICE])
def test_other_roles_are_refused_every_production_page(
    client: Client, master: None, role: str
) -> None:
    make_location("store-1")
    client.force_login(make_user(role, store="store-1" if role == Role.STORE_CLERK else None))

    assert [client.get(url).status_code for url in pages()] == [403] * len(pages())
    assert (
        reverse("production:overview") not in client.get(reverse("web:order_list")).content.decode()
    )


def test_the_pages_need_a_login(client: Client, master: None) -> None:
    for url in pages():
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


def test_the_main_menu_offers_production_to_a_planner_in_both_languages(client: Client) -> None:
    login(client, Role.PLANNER)

    english = client.get(reverse("web:order_list")).content.decode()
    chinese = client.get(reverse("web:order_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()

    assert f'href="{reverse("production:overview")}">Production</a>' in english
    assert f'href="{reverse("production:overview")}">生产</a>' in chinese


def test_a_supervisor_sees_the_forms_disabled_and_may_not_save(
    client: Client, master: None
) -> None:
    centre = WorkCenter.objects.get()
    login(client, Role.SUPERVISOR)
    url = reverse("production:work_centre", args=[centre.pk])

    page = client.get(url).content.decode()
    response = client.post(url, {"code": "SEW", "name": "Renamed", **rows("setups", [])})

    assert 'name="name" value="Sewing" maxlength="200" required disabled' in page
    assert "Save" not in page
    assert response.status_code == 403
    centre.refresh_from_db()
    assert centre.name == "Sewing"


def test_the_overview_shows_capacity_boms_routings_calendars_and_suppliers(
    client: Client, master: None
) -> None:
    Bom.objects.create(
        sku=Sku.objects.get(code="SHIRT"),
        version=2,
        effective_from=date(2030, 1, 1),
        status="draft",
    )
    login(client, Role.PLANNER)

    response = client.get(reverse("production:overview"))

    page = response.content.decode()
    assert [(row.sku.code, row.bom.version, row.drafts) for row in response.context["made"]] == [
        ("SHIRT", 1, 1)
    ]
    centre = response.context["centres"][0]
    assert centre.centre.code == "SEW"
    assert 32 <= centre.hours <= 40  # Monday to Friday, 8 hours a day; 1 holiday at most
    assert centre.capacity == centre.hours * 10
    assert "v1: 1 line" in page
    assert "v1: 1 operation" in page
    assert reverse("production:bom", args=[Bom.objects.get(version=1).pk]) in page
    assert "Mill" in page
    assert "DAY" in page


# ----------------------------------------------------------------------------------------------
# Work centres


def centre_data(**fields: object) -> dict[str, object]:
    calendar = day_calendar()
    data: dict[str, object] = {
        "code": "CUT",
        "name": "Cutting",
        "machines": 2,
        "calendar": calendar.pk,
        "hourly_cost": "45",
        "currency": "cny",
        "is_active": "on",
    }
    data.update(fields)
    return data


def test_a_planner_creates_a_work_centre_with_its_setup_times(client: Client) -> None:
    knit = ProductFamily.objects.create(code="KNIT", name="Knits")
    woven = ProductFamily.objects.create(code="WOVEN", name="Wovens")
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:work_centre_new"),
        {
            **centre_data(),
            **rows("setups", [{"from_family": knit.pk, "to_family": woven.pk, "minutes": 25}]),
        },
    )

    centre = WorkCenter.objects.get(code="CUT")
    assert response.status_code == 302
    assert response["Location"] == reverse("production:work_centre", args=[centre.pk])
    assert (centre.machines, centre.hourly_cost, centre.currency) == (2, Decimal(45), "CNY")
    assert SetupTime.objects.get(work_center=centre).minutes == 25


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("machines", 0, "between 1 and 10000"),
        ("hourly_cost", "-1", "cannot be negative"),
        ("currency", "C1Y", "three letters"),
        ("calendar", "", "This field is required"),
    ],
)
def test_a_work_centre_with_a_bad_field_is_refused_and_nothing_is_saved(
    client: Client, field: str, value: object, message: str
) -> None:
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:work_centre_new"),
        {**centre_data(**{field: value}), **rows("setups", [])},
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not WorkCenter.objects.exists()


def test_one_setup_time_per_pair_of_families(client: Client, master: None) -> None:
    centre = WorkCenter.objects.get()
    knit = ProductFamily.objects.get()
    pair = {"from_family": knit.pk, "to_family": knit.pk, "minutes": 5}
    login(client, Role.MANAGER)

    response = client.post(
        reverse("production:work_centre", args=[centre.pk]),
        {**centre_data(code="SEW", name="Sewing 2"), **rows("setups", [pair, pair])},
    )

    assert response.status_code == 400
    assert "Please correct the duplicate data" in response.content.decode()
    centre.refresh_from_db()
    assert centre.name == "Sewing"


# ----------------------------------------------------------------------------------------------
# Calendars


def calendar_post(
    shifts: list[dict[str, object]], days: list[dict[str, object]]
) -> dict[str, object]:
    return {
        "code": "TWO",
        "name": "Two shifts",
        "time_zone": "Asia/Shanghai",
        **rows("shifts", shifts),
        **rows("days", days),
    }


DAY_SHIFT = {"weekday": 0, "name": "day", "start": "08:00", "end": "17:00", "breaks": "12:00-13:00"}
NIGHT_SHIFT = {
    "weekday": 0,
    "name": "night",
    "start": "22:00",
    "end": "06:00",
    "breaks": "02:00-02:30",
}


def test_a_planner_creates_a_calendar_with_shifts_breaks_and_a_make_up_day(
    client: Client,
) -> None:
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:calendar_new"),
        calendar_post(
            [DAY_SHIFT, NIGHT_SHIFT],
            [
                {"date": "2027-02-11", "kind": "holiday", "note": "春节"},
                {"date": "2027-02-20", "kind": "workday", "works_like": 0, "note": "补班"},
            ],
        ),
    )

    calendar = Calendar.objects.get(code="TWO")
    assert response.status_code == 302
    night = Shift.objects.get(calendar=calendar, start=time(22))
    assert [(b.start, b.end) for b in night.breaks.all()] == [(time(2), time(2, 30))]
    assert CalendarDay.objects.get(calendar=calendar, date=date(2027, 2, 20)).works_like == 0
    page = client.get(response["Location"])
    monday_hours = {day.weekday(): hours for week in page.context["weeks"] for day, hours in week}
    assert monday_hours[0] == Decimal("15.50")  # 8 by day, 7.5 by night
    assert monday_hours[1] == 0


@pytest.mark.parametrize(
    ("shift", "day", "message"),
    [
        ({**DAY_SHIFT, "breaks": "18:00-18:30"}, {}, "18:00-18:30 is not within the shift"),
        ({**DAY_SHIFT, "breaks": "lunch"}, {}, "is not a break like 12:00-13:00"),
        ({**DAY_SHIFT, "weekday": 9}, {}, "Select a valid choice"),
        (DAY_SHIFT, {"date": "2027-02-11", "kind": "holiday", "works_like": 1}, "only a make-up"),
    ],
)
def test_a_calendar_with_a_bad_row_is_refused_and_nothing_is_saved(
    client: Client, shift: dict[str, object], day: dict[str, object], message: str
) -> None:
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:calendar_new"), calendar_post([shift], [day] if day else [])
    )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Calendar.objects.exists()


def test_two_shifts_starting_together_and_an_unknown_time_zone_are_named(client: Client) -> None:
    login(client, Role.PLANNER)
    data = calendar_post([DAY_SHIFT, {**DAY_SHIFT, "end": "12:00", "breaks": ""}], [])

    response = client.post(reverse("production:calendar_new"), {**data, "time_zone": "Mars/Base"})

    page = response.content.decode()
    assert response.status_code == 400
    assert "unknown time zone" in page
    assert "another shift starts then on this weekday" in page
    assert not Calendar.objects.exists()


def test_saving_a_calendar_keeps_its_days_older_than_a_year(client: Client, master: None) -> None:
    calendar = Calendar.objects.get()
    old = CalendarDay.objects.create(
        calendar=calendar, date=timezone.localdate() - timedelta(days=800), kind="holiday"
    )
    login(client, Role.PLANNER)
    page = client.get(reverse("production:calendar", args=[calendar.pk]))
    shown = [form.instance.pk for form in page.context["days"].initial_forms]

    response = client.post(
        reverse("production:calendar", args=[calendar.pk]),
        {
            "code": "DAY",
            "name": "Day shift",
            "time_zone": "Asia/Shanghai",
            **rows("shifts", [DAY_SHIFT]),
            **rows("days", []),
        },
    )

    assert old.pk not in shown
    assert response.status_code == 302
    assert CalendarDay.objects.filter(pk=old.pk).exists()
    assert Calendar.objects.get().name == "Day shift"
    assert Shift.objects.filter(calendar=calendar).count() == 1


# ----------------------------------------------------------------------------------------------
# Suppliers and SKUs


def test_a_planner_adds_a_supplier_with_terms_for_a_bought_sku(client: Client) -> None:
    sku("ZIP", SkuKind.BOUGHT)
    login(client, Role.PLANNER)
    term = {
        "sku": "ZIP",
        "lead_time_days": 14,
        "min_order_quantity": "500",
        "order_multiple": "100",
        "unit_price": "0.35",
        "currency": "CNY",
        "preferred": "on",
    }

    response = client.post(
        reverse("production:supplier_new"),
        {"code": "YKK", "name": "YKK Shanghai", "contact": "", **rows("terms", [term])},
    )

    assert response.status_code == 302
    saved = SupplyTerm.objects.get()
    assert (saved.sku.code, saved.supplier.code, saved.lead_time_days) == ("ZIP", "YKK", 14)
    assert saved.unit_price == Decimal("0.35")
    page = client.get(response["Location"]).content.decode()
    assert 'value="ZIP"' in page  # the SKU is shown by its code, not its id


def test_a_supply_term_for_an_unknown_sku_is_refused(client: Client) -> None:
    login(client, Role.PLANNER)
    term = {"sku": "NOPE", "lead_time_days": 14, "min_order_quantity": 0, "order_multiple": 0}

    response = client.post(
        reverse("production:supplier_new"),
        {"code": "YKK", "name": "YKK", **rows("terms", [{**term, "currency": "CNY"}])},
    )

    assert response.status_code == 400
    assert "no SKU with this code" in response.content.decode()
    assert not Supplier.objects.exists()


def sku_rows(*changes: tuple[Sku, dict[str, object]]) -> dict[str, object]:
    return rows(
        "skus",
        [
            {
                "id": found.pk,
                "kind": found.kind,
                "unit": found.unit,
                "unit_decimals": found.unit_decimals,
                "family": "",
                **change,
            }
            for found, change in changes
        ],
        initial=len(changes),
    )


def test_a_planner_marks_a_sku_bought_and_counted_in_metres(client: Client) -> None:
    fabric, shirt = sku("FABRIC", SkuKind.RESOLD), sku("SHIRT")
    login(client, Role.PLANNER)

    response = client.post(
        reverse("production:skus") + "?q=FABRIC",
        sku_rows((fabric, {"kind": "bought", "unit": "m", "unit_decimals": 2}), (shirt, {})),
    )

    assert response.status_code == 302
    fabric.refresh_from_db()
    assert (fabric.kind, fabric.unit, fabric.unit_decimals) == ("bought", "m", 2)


def test_the_unit_of_a_sku_whose_stock_moved_is_fixed(client: Client) -> None:
    fabric = sku("FABRIC", SkuKind.BOUGHT)
    receive_stock(
        sku="FABRIC",
        location=make_location("wh-1", kind="warehouse").code,
        quantity=10,
        unit_cost=None,
        actor=Actor.system("test"),
    )
    login(client, Role.PLANNER)

    refused = client.post(reverse("production:skus"), sku_rows((fabric, {"unit": "m"})))
    kind_only = client.post(reverse("production:skus"), sku_rows((fabric, {"kind": "resold"})))

    assert refused.status_code == 400
    assert "its unit is fixed" in refused.content.decode()
    assert kind_only.status_code == 302
    fabric.refresh_from_db()
    assert (fabric.unit, fabric.kind) == ("pcs", "resold")


def test_more_than_three_decimal_places_of_a_unit_are_refused(client: Client) -> None:
    fabric = sku("FABRIC", SkuKind.BOUGHT)
    login(client, Role.PLANNER)

    response = client.post(reverse("production:skus"), sku_rows((fabric, {"unit_decimals": 4})))

    assert response.status_code == 400
    fabric.refresh_from_db()
    assert fabric.unit_decimals == 0


def test_the_sku_list_filters_by_kind_and_text_as_an_htmx_fragment(client: Client) -> None:
    sku("FABRIC", SkuKind.BOUGHT)
    sku("SHIRT")
    login(client, Role.SUPERVISOR)

    response = client.get(
        reverse("production:skus"), {"kind": "bought", "q": "fab"}, HTTP_HX_REQUEST="true"
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<div id="sku-results"')
    assert "FABRIC" in page
    assert "SHIRT" not in page
    assert "disabled" in page  # a supervisor may look only
