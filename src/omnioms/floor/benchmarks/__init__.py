"""Published peer figures of inventory days (``peer_figures.json``, sources in ``SOURCES.md``).

Loaded by the data migration ``floor.0005_peer_inventory_benchmarks``; every row names the
document and table its figures are in, the address, and the arithmetic from them to the days.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

FILE = Path(__file__).with_name("peer_figures.json")


def peer_figures() -> list[dict[str, Any]]:
    """The rows of ``peer_figures.json``, days as ``Decimal``."""
    rows: list[dict[str, Any]] = json.loads(FILE.read_text(encoding="utf-8"))
    return [{**row, "days": Decimal(row["days"])} for row in rows]
