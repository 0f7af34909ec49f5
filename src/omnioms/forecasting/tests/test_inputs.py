"""The event calendar and the sales team's figures: loaded whole, or not at all."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook

from omnioms.catalog.models import ProductFamily
from omnioms.core.actor import Actor
from omnioms.forecasting.models import DemandEvent, SalesInput
from omnioms.forecasting.services import (
    SalesFigure,
    load_events,
    load_preset_events,
    read_sales_workbook,
    save_sales_input,
    write_sales_workbook,
)
from omnioms.inventory.tests.factories import sku

pytestmark = pytest.mark.django_db
SALES = Actor("user", "sales")


def test_the_festival_preset_has_spring_festival_on_its_moving_date() -> None:
    report = load_preset_events()

    assert report.ok
    spring = DemandEvent.objects.get(name="Spring Festival", start__year=2026)
    assert (spring.start, spring.end) == (date(2026, 2, 10), date(2026, 2, 23))  # 17 Feb ± a week
    assert DemandEvent.objects.filter(name="Double 11", start=date(2027, 11, 11)).exists()
    assert load_preset_events().written == report.written  # loading twice updates, not repeats
    assert DemandEvent.objects.count() == report.written


def test_a_bad_event_row_is_named_and_nothing_is_loaded() -> None:
    text = (
        "name,kind,start,end\n"
        "Summer sale,promotion,2026-07-01,2026-07-07\n"
        "X,party,2026-01-01,2026-01-02\n"
    )

    report = load_events(text)

    assert [(p.row, p.column) for p in report.problems] == [(3, "kind")]
    assert not DemandEvent.objects.exists()


def test_sales_figures_per_sku_and_family_are_saved_and_cleared() -> None:
    sku("TEE")
    knits = ProductFamily.objects.create(code="KNIT", name="Knits")

    report = save_sales_input(
        [
            SalesFigure("TEE", date(2026, 5, 17), Decimal(1200), "Tmall 618 pre-orders"),
            SalesFigure("KNIT", date(2026, 6, 1), Decimal(5000)),
        ],
        actor=SALES,
    )

    assert report.ok
    tee = SalesInput.objects.get(sku__code="TEE")
    assert (tee.month, tee.quantity, tee.note) == (
        date(2026, 5, 1),
        Decimal(1200),
        "Tmall 618 pre-orders",
    )
    assert SalesInput.objects.get(family=knits).quantity == Decimal(5000)
    save_sales_input([SalesFigure("TEE", date(2026, 5, 1), None)], actor=SALES)
    assert not SalesInput.objects.filter(sku__code="TEE").exists()


def test_an_unknown_code_refuses_the_whole_grid() -> None:
    sku("TEE")

    report = save_sales_input(
        [
            SalesFigure("TEE", date(2026, 5, 1), Decimal(1)),
            SalesFigure("NOPE", date(2026, 5, 1), Decimal(1)),
        ],
        actor=SALES,
    )

    assert [(p.row, p.column) for p in report.problems] == [(3, "code")]
    assert not SalesInput.objects.exists()


def test_the_sales_workbook_reads_back_what_it_wrote() -> None:
    sku("TEE")
    save_sales_input([SalesFigure("TEE", date(2026, 5, 1), Decimal("1200.5"), "note")], actor=SALES)

    figures, problems = read_sales_workbook(write_sales_workbook([date(2026, 5, 1)]))

    assert problems == []
    assert figures == [SalesFigure("TEE", date(2026, 5, 1), Decimal("1200.5"), "note")]


def test_a_bad_month_in_the_workbook_is_named() -> None:
    book = Workbook()
    book.active.append(["code", "month", "quantity"])
    book.active.append(["TEE", "May", 10])
    out = io.BytesIO()
    book.save(out)

    figures, problems = read_sales_workbook(out.getvalue())

    assert figures == []
    assert [(p.row, p.column) for p in problems] == [(2, "month")]
