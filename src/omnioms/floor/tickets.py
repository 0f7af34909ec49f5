"""Job tickets as PDF (ReportLab), each with the QR code the tablet page scans.

ReportLab draws the QR code itself (``reportlab.graphics.barcode.qr``) and writes Chinese
with Adobe's built-in ``STSong-Light`` CID font, which every PDF reader supplies: no font file
ships with omnioms. One A6 page per job.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.pagesizes import A6, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from omnioms.floor.selectors import Job

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def qr_drawing(text: str, size: float) -> Drawing:
    widget = QrCodeWidget(text, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.add(widget)
    return drawing


def _local(moment: object) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")  # type: ignore[arg-type]


def tickets_pdf(jobs: Sequence[Job]) -> bytes:
    """One A6 landscape page per job: its code as QR and text, the order, SKU, operation,
    quantity, work centre and the published plan's times."""
    buffer = io.BytesIO()
    width, height = landscape(A6)
    pdf = Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(_("Job tickets"))
    for job in jobs:
        size = 55 * mm
        renderPDF.draw(
            qr_drawing(job.code, size), pdf, width - size - 6 * mm, height - size - 8 * mm
        )
        pdf.setFont(FONT, 18)
        pdf.drawString(8 * mm, height - 16 * mm, job.code)
        pdf.setFont(FONT, 10)
        lines = [
            (_("Order"), job.order),
            (_("SKU"), job.sku),
            (_("Operation"), f"{job.sequence} {job.name}"),
            (_("Quantity"), str(job.quantity)),
            (_("Work centre"), f"{job.work_center} / {job.machine}"),
            (_("Planned start"), _local(job.planned_start)),
            (_("Planned end"), _local(job.planned_end)),
        ]
        y = height - 28 * mm
        for label, value in lines:
            pdf.drawString(8 * mm, y, f"{label}: {value}")
            y -= 6 * mm
        pdf.setFont(FONT, 7)
        pdf.drawString(8 * mm, 6 * mm, _("Scan at the machine's tablet, or type the code."))
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()
