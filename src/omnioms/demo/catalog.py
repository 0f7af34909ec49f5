"""The demo company's catalogue: what Hangzhou Qinghe Apparel makes and sells.

Plain data, no ORM: the loader creates these SKUs through the catalogue's services and the
channel generators put the same codes, names and prices into platform payloads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Style:
    """A product (SPU): one listing on every channel, several SKUs."""

    code: str
    name: str
    """Chinese product name, as on the shelf label."""
    listing: str
    """Marketplace listing title (Tmall, Douyin), longer and keyword-laden as they are."""
    title_en: str
    """Product title in the Shopify shop."""
    category: str
    price: Decimal
    """List price in CNY, tax included."""
    price_usd: Decimal
    unit_cost: Decimal
    item_id: int
    """Listing id on Tmall (``num_iid``); Douyin and Shopify ids are derived from it."""


@dataclass(frozen=True)
class DemoSku:
    code: str
    style: Style
    colour: str
    colour_en: str
    size: str
    index: int
    """Position in :data:`SKUS`: platform SKU ids are derived from it, so they stay fixed."""
    components: tuple[tuple[str, int], ...] = ()
    """(SKU code, quantity) of a bundle's parts."""

    @property
    def name(self) -> str:
        return f"{self.style.name} {self.colour} {self.size}"

    @property
    def spec(self) -> str:
        return f"颜色:{self.colour};尺码:{self.size}"

    @property
    def variant_en(self) -> str:
        return f"{self.colour_en} / {self.size}"

    @property
    def price(self) -> Decimal:
        return self.style.price

    @property
    def unit_cost(self) -> Decimal:
        return self.style.unit_cost


TEE = Style(
    "QH-TS",
    "纯棉圆领短袖T恤",
    "青禾 纯棉圆领短袖T恤 男女同款 宽松百搭 260g重磅",
    "Qinghe Heavyweight Cotton Tee",
    "tee",
    Decimal("79.00"),
    Decimal("19.00"),
    Decimal("26.50"),
    725531889012,
)
HOODIE = Style(
    "QH-HD",
    "加绒连帽卫衣",
    "青禾 加绒连帽卫衣 秋冬保暖 宽松落肩 情侣款",
    "Qinghe Fleece-Lined Hoodie",
    "hoodie",
    Decimal("199.00"),
    Decimal("49.00"),
    Decimal("68.00"),
    725531889577,
)
JEANS = Style(
    "QH-JN",
    "直筒牛仔裤",
    "青禾 直筒牛仔裤 男 宽松 水洗做旧 四季款",
    "Qinghe Straight-Leg Jeans",
    "jeans",
    Decimal("259.00"),
    Decimal("59.00"),
    Decimal("92.00"),
    725533001246,
)
TEE_PACK = Style(
    "QH-TS-3PK",
    "纯棉T恤三件装",
    "青禾 纯棉T恤三件装 黑白灰 基础打底 超值组合",
    "Qinghe Cotton Tee 3-Pack",
    "pack",
    Decimal("199.00"),
    Decimal("45.00"),
    Decimal("79.50"),
    725533001390,
)
SOCKS = Style(
    "QH-SK",
    "纯棉短袜",
    "青禾 纯棉短袜 白色 均码",
    "Qinghe Cotton Ankle Socks",
    "socks",
    Decimal("15.00"),
    Decimal("4.00"),
    Decimal("3.20"),
    725533001455,
)

STYLES = (TEE, HOODIE, JEANS, TEE_PACK, SOCKS)

_COLOURS = {
    "BLK": ("黑色", "Black"),
    "WHT": ("白色", "White"),
    "GRY": ("灰色", "Grey"),
    "NVY": ("藏青", "Navy"),
    "DBL": ("深蓝", "Indigo"),
    "MIX": ("黑白灰", "Mixed"),
}


def _build() -> tuple[DemoSku, ...]:
    rows: list[tuple[Style, str, str, tuple[tuple[str, int], ...]]] = []
    rows += [(TEE, c, s, ()) for c in ("BLK", "WHT", "GRY") for s in ("M", "L", "XL")]
    rows += [(HOODIE, c, s, ()) for c in ("BLK", "NVY") for s in ("M", "L", "XL")]
    rows += [(JEANS, "DBL", s, ()) for s in ("29", "31", "33")]
    rows += [
        (TEE_PACK, "MIX", s, tuple((f"QH-TS-{c}-{s}", 1) for c in ("BLK", "WHT", "GRY")))
        for s in ("M", "L")
    ]
    skus = []
    for index, (style, colour, size, parts) in enumerate(rows):
        code = f"{style.code}-{size}" if style is TEE_PACK else f"{style.code}-{colour}-{size}"
        zh, en = _COLOURS[colour]
        skus.append(DemoSku(code, style, zh, en, size, index, parts))
    skus.append(DemoSku("QH-SK-WHT-F", SOCKS, "白色", "White", "均码", len(skus)))
    return tuple(skus)


SKUS: tuple[DemoSku, ...] = _build()
BY_CODE: dict[str, DemoSku] = {sku.code: sku for sku in SKUS}
GIFT = BY_CODE["QH-SK-WHT-F"]
"""Given away free with larger marketplace orders (Tmall, Douyin)."""
SELLABLE = tuple(sku for sku in SKUS if sku is not GIFT)

_SIZE_SHARE = {"M": 0.3, "L": 0.4, "XL": 0.3, "29": 0.3, "31": 0.4, "33": 0.3}
_COLOUR_SHARE = {"黑色": 0.45, "白色": 0.35, "灰色": 0.2, "藏青": 0.55, "深蓝": 1.0, "黑白灰": 1.0}
_CATEGORY_SHARE = {"tee": 0.32, "hoodie": 0.3, "jeans": 0.22, "pack": 0.16, "socks": 0.0}
_PEAK_DAY = {"tee": 196, "hoodie": 15, "jeans": 300, "pack": 196}
"""Day of the year each category sells best (mid-July, mid-January, late October)."""
_SWING = {"tee": 0.75, "hoodie": 0.9, "jeans": 0.25, "pack": 0.6}


def demand_weight(sku: DemoSku, day: date) -> float:
    """How strongly ``sku`` sells on ``day`` relative to the others: T-shirts in summer,
    hoodies in winter."""
    category = sku.style.category
    if category not in _PEAK_DAY:
        return 0.0
    angle = 2 * math.pi * (day.timetuple().tm_yday - _PEAK_DAY[category]) / 365
    season = max(0.15, 1 + _SWING[category] * math.cos(angle))
    return _CATEGORY_SHARE[category] * season * _SIZE_SHARE[sku.size] * _COLOUR_SHARE[sku.colour]
