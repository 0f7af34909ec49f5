"""Printable documents as PDF: invoices, quotes, pick lists and packing slips.

ReportLab (``docs/decisions.md``, "PDF documents"): pure Python, no system libraries, and
Chinese text without shipping a font file: Adobe's CID font ``STSong-Light`` (Adobe-GB1,
GB 18030 coverage) is named in the PDF and drawn by every PDF reader with its own Song
typeface. When ``OMNIOMS_PDF_FONT`` names a TrueType file (e.g. Noto Sans SC), that font is
embedded instead (subset), for printers and readers without CJK fonts of their own.

Every function takes plain rows already read and returns the PDF's bytes; the labels are in
the language active when it is called.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import KeepTogether

CID_FONT = "STSong-Light"


@cache
def font_name() -> str:
    """The registered font: the TrueType file of ``OMNIOMS_PDF_FONT``, else the CID font."""
    path = os.environ.get("OMNIOMS_PDF_FONT", "")
    if path and os.path.isfile(path):
        pdfmetrics.registerFont(TTFont("OmniomsCJK", path))
        return "OmniomsCJK"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = font_name()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=16, leading=20, spaceAfter=6),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=12, leading=15, spaceBefore=6),
        "body": ParagraphStyle("body", fontName=font, fontSize=9.5, leading=13),
        "small": ParagraphStyle("small", fontName=font, fontSize=8, leading=10),
    }


def _text(value: object) -> str:
    """Paragraph markup is XML-like: escape what a person typed."""
    return (
        str(value if value is not None else "")
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _table(rows: list[list[Any]], widths: Sequence[float], *, numeric_from: int) -> Table:
    styles = _styles()
    cells = [
        [c if isinstance(c, Flowable) else Paragraph(_text(c), styles["body"]) for c in row]
        for row in rows
    ]
    table = Table(cells, colWidths=list(widths), repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), font_name()),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2fb")),
                ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#2a3f73")),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#d0d5df")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("ALIGN", (numeric_from, 0), (-1, -1), "RIGHT"),
            ]
        )
    )
    return table


def _facts(pairs: Iterable[tuple[str, object]]) -> Table:
    styles = _styles()
    rows = [
        [Paragraph(_text(label), styles["small"]), Paragraph(_text(value), styles["body"])]
        for label, value in pairs
        if value not in (None, "")
    ]
    table = Table(rows, colWidths=[45 * mm, 125 * mm])
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def _render(story: list[Flowable], title: str) -> bytes:
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title,
        author="omnioms",
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        invariant=1,
    )
    document.build(story)
    return buffer.getvalue()


def _when(value: datetime | date | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


@dataclass(frozen=True)
class DocLine:
    sku: str
    title: str
    quantity: int
    unit_price: Decimal | None = None
    total: Decimal | None = None
    extra: str = ""


def _money(value: Decimal | None, currency: str = "") -> str:
    if value is None:
        return ""
    return f"{value:,.2f} {currency}".strip()


def invoice_pdf(invoice: Any, lines: Sequence[DocLine], *, seller: str) -> bytes:
    """A numbered invoice (the buyer's VAT invoice request: name, taxpayer number, address and
    phone, bank and account) with the order's lines and the tax inside the total."""
    styles = _styles()
    story: list[Flowable] = [
        Paragraph(_text(_("Invoice %(number)s") % {"number": invoice.number}), styles["title"]),
        Paragraph(_text(invoice.get_kind_display()), styles["body"]),
        Spacer(1, 4 * mm),
        _facts(
            [
                (_("Seller"), seller),
                (_("Issued"), _when(invoice.issued_at)),
                (_("Order"), invoice.order.external_id),
                (_("Buyer name"), invoice.buyer_name),
                (_("Taxpayer identification number"), invoice.buyer_tax_number),
                (
                    _("Registered address and phone"),
                    " ".join(part for part in (invoice.buyer_address, invoice.buyer_phone) if part),
                ),
                (
                    _("Bank and account"),
                    " ".join(
                        part for part in (invoice.buyer_bank, invoice.buyer_bank_account) if part
                    ),
                ),
            ]
        ),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[Any]] = [[_("SKU"), _("Item"), _("Quantity"), _("Unit price"), _("Amount")]]
    for line in lines:
        rows.append(
            [line.sku, line.title, line.quantity, _money(line.unit_price), _money(line.total)]
        )
    story.append(_table(rows, [28 * mm, 72 * mm, 18 * mm, 25 * mm, 27 * mm], numeric_from=2))
    story.append(Spacer(1, 4 * mm))
    story.append(
        _facts(
            [
                (_("Total including tax"), _money(invoice.total, invoice.currency)),
                (
                    _("of which VAT at %(rate)s%%") % {"rate": f"{invoice.tax_rate:g}"},
                    _money(invoice.tax, invoice.currency),
                ),
            ]
        )
    )
    return _render(story, invoice.number)


def quote_pdf(quote: Any, version: Any, lines: Sequence[DocLine], *, seller: str) -> bytes:
    styles = _styles()
    story: list[Flowable] = [
        Paragraph(
            _text(
                _("Quote %(number)s, version %(version)s")
                % {"number": quote.number, "version": version.number}
            ),
            styles["title"],
        ),
        _facts(
            [
                (_("From"), seller),
                (_("For"), quote.inquiry.contact_name),
                (_("Date"), _when(version.created_at)),
                (_("Valid until"), _when(version.valid_until)),
                (
                    _("Delivery"),
                    _when(version.delivery_date) or _("to be confirmed"),
                ),
            ]
        ),
        Spacer(1, 5 * mm),
    ]
    rows: list[list[Any]] = [
        [
            _("SKU"),
            _("Item"),
            _("Quantity"),
            _("List price"),
            _("Discount"),
            _("Unit price"),
            _("Amount"),
        ]
    ]
    for line in lines:
        rows.append(
            [
                line.sku,
                line.title,
                line.quantity,
                line.extra.split("|")[0],
                line.extra.split("|")[1] if "|" in line.extra else "",
                _money(line.unit_price),
                _money(line.total),
            ]
        )
    story.append(
        _table(
            rows, [24 * mm, 50 * mm, 15 * mm, 20 * mm, 17 * mm, 22 * mm, 24 * mm], numeric_from=2
        )
    )
    story.append(Spacer(1, 4 * mm))
    story.append(_facts([(_("Total"), _money(version.total, quote.currency))]))
    if version.note:
        story.append(Spacer(1, 3 * mm))
        story.append(Paragraph(_text(version.note), styles["body"]))
    return _render(story, quote.number)


@dataclass(frozen=True)
class SlipOrder:
    """An order as a pick list or packing slip shows it."""

    external_id: str
    channel: str
    placed_at: datetime
    buyer: str
    ship_to: str
    lines: Sequence[DocLine]
    locations: str = ""
    """Where its stock is reserved (location codes)."""


def pick_list_pdf(orders: Sequence[SlipOrder]) -> bytes:
    """One pick list for the selected orders: each SKU's total to take, by location, then
    which order gets what."""
    styles = _styles()
    totals: dict[tuple[str, str], tuple[str, int]] = {}
    for order in orders:
        for line in order.lines:
            key = (order.locations, line.sku)
            title, quantity = totals.get(key, (line.title, 0))
            totals[key] = (title, quantity + line.quantity)
    story: list[Flowable] = [
        Paragraph(_text(_("Pick list")), styles["title"]),
        Paragraph(
            _text(
                _("%(count)d orders, printed %(when)s")
                % {"count": len(orders), "when": _when(timezone.now())}
            ),
            styles["body"],
        ),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[Any]] = [[_("Location"), _("SKU"), _("Item"), _("Quantity"), _("Picked")]]
    for (location, sku), (title, quantity) in sorted(totals.items()):
        rows.append([location or "—", sku, title, quantity, "□"])
    story.append(_table(rows, [25 * mm, 35 * mm, 75 * mm, 20 * mm, 15 * mm], numeric_from=3))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(_text(_("By order")), styles["h2"]))
    rows = [[_("Order"), _("SKU"), _("Item"), _("Quantity")]]
    for order in orders:
        for line in order.lines:
            rows.append([order.external_id, line.sku, line.title, line.quantity])
    story.append(_table(rows, [40 * mm, 35 * mm, 75 * mm, 20 * mm], numeric_from=3))
    return _render(story, _("Pick list"))


def packing_slips_pdf(orders: Sequence[SlipOrder]) -> bytes:
    """One page per order: where it goes and what is in the parcel."""
    styles = _styles()
    story: list[Flowable] = []
    for index, order in enumerate(orders):
        if index:
            story.append(PageBreak())
        rows: list[list[Any]] = [[_("SKU"), _("Item"), _("Quantity"), _("Packed")]]
        for line in order.lines:
            rows.append([line.sku, line.title, line.quantity, "□"])
        story.append(
            KeepTogether(
                [
                    Paragraph(
                        _text(_("Packing slip %(order)s") % {"order": order.external_id}),
                        styles["title"],
                    ),
                    _facts(
                        [
                            (_("Channel"), order.channel),
                            (_("Placed"), _when(order.placed_at)),
                            (_("Buyer"), order.buyer),
                            (_("Ship to"), order.ship_to),
                            (_("From"), order.locations),
                        ]
                    ),
                    Spacer(1, 5 * mm),
                    _table(rows, [40 * mm, 95 * mm, 20 * mm, 15 * mm], numeric_from=2),
                ]
            )
        )
    return _render(story, _("Packing slips"))


def address_text(ship_to: dict[str, Any] | None) -> str:
    if not isinstance(ship_to, dict):
        return ""
    parts = [
        ship_to.get(key) or ""
        for key in ("name", "phone", "province", "city", "district", "address", "postal_code")
    ]
    return " ".join(str(part) for part in parts if part)
