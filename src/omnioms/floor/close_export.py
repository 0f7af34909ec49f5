"""A daily close as an Excel workbook (openpyxl) and a PDF (ReportLab), in the reader's
language."""

from __future__ import annotations

import io
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from omnioms.floor.models import CloseLine, CloseScope, DailyClose
from omnioms.floor.tickets import FONT


def close_lines(close: DailyClose) -> list[CloseLine]:
    return list(
        close.lines.select_related("production_order__sku", "work_center").order_by(
            "scope", "production_order__number", "work_center__code"
        )
    )


def _when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def _headers() -> list[str]:
    return [
        _("Scope"),
        _("Order or work centre"),
        _("SKU"),
        _("Planned"),
        _("Good"),
        _("Scrap"),
        _("Planned hours"),
        _("Reported hours"),
        _("Material standard"),
        _("Material issued"),
        _("Planned finish"),
        _("Projected finish"),
        _("Gaps"),
    ]


def _row(line: CloseLine) -> list[Any]:
    order = line.production_order
    return [
        str(CloseScope(line.scope).label),
        order.number if order else (line.work_center.code if line.work_center else ""),
        order.sku.code if order else "",
        line.planned_quantity,
        line.good,
        line.scrap,
        float(line.planned_hours),
        float(line.reported_hours),
        float(line.material_standard),
        float(line.material_issued),
        _when(line.planned_finish),
        _when(line.projected_finish),
        "; ".join(f"{g['type']} {g['figure']}" for g in line.gaps),
    ]


def close_workbook(close: DailyClose) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = close.day.isoformat()
    sheet.append(_headers())
    lines = close_lines(close)
    for line in lines:
        sheet.append(_row(line))
    materials = book.create_sheet(_("Materials"))
    materials.append(
        [
            _("Order"),
            _("Material"),
            _("Unit"),
            _("Standard"),
            _("Issued"),
            _("Variance"),
            _("Variance value"),
            _("Variance %"),
        ]
    )
    for line in lines:
        if line.production_order is None:
            continue
        for m in line.materials:
            materials.append(
                [
                    line.production_order.number,
                    m["sku"],
                    m["unit"],
                    float(m["standard"]),
                    float(m["issued"]),
                    float(m["variance"]),
                    float(m["variance_value"]),
                    None if m["variance_percent"] is None else float(m["variance_percent"]),
                ]
            )
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def close_pdf(close: DailyClose) -> bytes:
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=landscape(A4),
        leftMargin=10 * mm,
        rightMargin=10 * mm,
        topMargin=10 * mm,
        bottomMargin=10 * mm,
        title=str(close),
    )
    title = ParagraphStyle("title", fontName=FONT, fontSize=14, leading=18)
    cell = ParagraphStyle("cell", fontName=FONT, fontSize=7, leading=9)
    head = [Paragraph(text, cell) for text in _headers()]
    body = [[Paragraph(str(value), cell) for value in _row(line)] for line in close_lines(close)]
    table = Table([head, *body], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    summary = close.summary
    heading = _(
        "Daily close of %(day)s: %(orders)s orders, %(centres)s work centres, %(gaps)s gaps"
    ) % {
        "day": close.day.isoformat(),
        "orders": summary.get("orders", 0),
        "centres": summary.get("work_centers", 0),
        "gaps": summary.get("gaps", 0),
    }
    doc.build([Paragraph(heading, title), Spacer(1, 4 * mm), table])
    return buffer.getvalue()
