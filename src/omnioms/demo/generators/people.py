"""Invented buyers and addresses: Chinese for the marketplaces and stores, English abroad.

Personal data is made up. Chinese phone numbers only ever appear masked (as the marketplaces
send them), e-mail addresses use ``example.com`` and North American phone numbers the
fictional 555-01xx range.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余杜叶"
GIVEN_NAMES = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟",
               "涛", "明", "超", "秀英", "霞", "婷", "雪", "晨", "浩", "宇", "欣怡", "子涵", "梓萱",
               "一诺", "思远", "佳怡", "俊杰", "雨桐", "浩然", "诗涵", "子轩", "晓东", "丹", "琳",
               "文博", "嘉豪", "若曦", "心怡")  # fmt: skip
MOBILE_PREFIXES = (
    "131",
    "135",
    "136",
    "138",
    "139",
    "150",
    "158",
    "159",
    "177",
    "186",
    "187",
    "189",
)


@dataclass(frozen=True)
class Region:
    province: str
    city: str
    district: str
    codes: tuple[str, str, str]
    """Administrative division codes of province, city and district (Douyin sends them)."""
    postal_code: str
    street: str
    """Sub-district (街道) of the address."""
    road: str
    remote: bool = False
    """Marketplaces charge postage to remote regions; everywhere else ships free."""


_REGION_TABLE = """
9 浙江省 杭州市 西湖区 330106 310012 文新街道 文一西路
5 浙江省 杭州市 拱墅区 330105 310005 米市巷街道 湖墅南路
4 浙江省 宁波市 鄞州区 330212 315100 首南街道 天童南路
8 上海市 上海市 浦东新区 310115 200120 陆家嘴街道 东方路
5 上海市 上海市 徐汇区 310104 200030 徐家汇街道 漕溪北路
5 江苏省 苏州市 工业园区 320571 215000 斜塘街道 星湖街
4 江苏省 南京市 鼓楼区 320106 210008 湖南路街道 中山北路
5 北京市 北京市 朝阳区 110105 100020 建外街道 建国路
4 北京市 北京市 海淀区 110108 100080 中关村街道 中关村大街
5 广东省 深圳市 南山区 440305 518057 粤海街道 科技南路
4 广东省 广州市 天河区 440106 510620 天河南街道 体育西路
3 四川省 成都市 武侯区 510107 610041 桂溪街道 天府大道
3 湖北省 武汉市 洪山区 420111 430070 珞南街道 珞喻路
2 福建省 厦门市 思明区 350203 361001 鹭江街道 鹭江道
2 山东省 青岛市 市南区 370202 266071 八大关街道 香港中路
2 陕西省 西安市 雁塔区 610113 710061 小寨路街道 长安中路
1 新疆维吾尔自治区 乌鲁木齐市 天山区 650102 830002 解放北路街道 解放北路
"""
"""Weight, province, city, district, district code, postal code, sub-district, road."""
REMOTE_PROVINCES = {"新疆维吾尔自治区", "西藏自治区"}


def _regions() -> tuple[tuple[Region, ...], tuple[int, ...]]:
    regions, weights = [], []
    for line in _REGION_TABLE.strip().splitlines():
        weight, province, city, district, code, postal_code, street, road = line.split()
        codes = (code[:2], code[:4] + "00", code)
        remote = province in REMOTE_PROVINCES
        regions.append(
            Region(province, city, district, codes, postal_code, street, road, remote=remote)
        )
        weights.append(int(weight))
    return tuple(regions), tuple(weights)


REGIONS, REGION_WEIGHTS = _regions()


@dataclass(frozen=True)
class CnPerson:
    name: str
    region: Region
    house: str
    """House number, building and flat, e.g. ``969号5幢1201室``."""
    mobile_prefix: str
    mobile_suffix: str

    @property
    def masked_name(self) -> str:
        return self.name[0] + "*" * (len(self.name) - 1)

    @property
    def masked_mobile(self) -> str:
        return f"{self.mobile_prefix}****{self.mobile_suffix}"

    @property
    def masked_address(self) -> str:
        return f"{self.region.road}***号**室"


def cn_person(rng: random.Random) -> CnPerson:
    region = rng.choices(REGIONS, weights=REGION_WEIGHTS)[0]
    number, block = rng.randrange(1, 1200), rng.randrange(1, 20)
    flat = f"{rng.randrange(1, 30)}0{rng.randrange(1, 5)}"
    house = f"{number}号{block}幢{flat}室"
    return CnPerson(
        name=rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES),
        region=region,
        house=house,
        mobile_prefix=rng.choice(MOBILE_PREFIXES),
        mobile_suffix=f"{rng.randrange(10000):04d}",
    )


# ----------------------------------------------------------------------------------------------
# Abroad (the Shopify shop)

FIRST_NAMES = (
    "Emma",
    "Liam",
    "Olivia",
    "Noah",
    "Ava",
    "Ethan",
    "Mia",
    "Lucas",
    "Sophia",
    "Mason",
    "Chloe",
    "Daniel",
    "Grace",
    "Henry",
    "Zoe",
    "Jack",
    "Lily",
    "Owen",
    "Mei",
    "Kevin",
    "Hannah",
    "Ryan",
    "Isla",
    "Leo",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Brown",
    "Garcia",
    "Miller",
    "Davis",
    "Wilson",
    "Lee",
    "Chen",
    "Wang",
    "Nguyen",
    "Taylor",
    "Martin",
    "Clark",
    "Walker",
    "Young",
    "King",
    "Wright",
    "Lopez",
    "Hill",
    "Scott",
    "Green",
    "Baker",
    "Kim",
)


@dataclass(frozen=True)
class Place:
    city: str
    province: str
    province_code: str
    country: str
    country_code: str
    zip: str
    area_code: str
    tax_rate: str
    """Sales tax the shop collects there (decimal string); 0 outside the United States."""
    streets: tuple[str, ...]


PLACES = (
    Place(
        "San Francisco",
        "California",
        "CA",
        "United States",
        "US",
        "94107",
        "415",
        "0.08625",
        ("Market St", "Valencia St", "Folsom St"),
    ),
    Place(
        "Los Angeles",
        "California",
        "CA",
        "United States",
        "US",
        "90012",
        "213",
        "0.095",
        ("Spring St", "Sunset Blvd", "Figueroa St"),
    ),
    Place(
        "Seattle",
        "Washington",
        "WA",
        "United States",
        "US",
        "98101",
        "206",
        "0.1035",
        ("Pine St", "1st Ave", "Pike St"),
    ),
    Place(
        "New York",
        "New York",
        "NY",
        "United States",
        "US",
        "10001",
        "212",
        "0.08875",
        ("W 34th St", "Broadway", "8th Ave"),
    ),
    Place(
        "Austin",
        "Texas",
        "TX",
        "United States",
        "US",
        "78701",
        "512",
        "0.0825",
        ("Congress Ave", "Lamar Blvd"),
    ),
    Place(
        "Portland",
        "Oregon",
        "OR",
        "United States",
        "US",
        "97205",
        "503",
        "0",
        ("SW Morrison St", "NW 23rd Ave"),
    ),
    Place(
        "Chicago",
        "Illinois",
        "IL",
        "United States",
        "US",
        "60601",
        "312",
        "0.1025",
        ("N Michigan Ave", "W Randolph St"),
    ),
    Place(
        "Boston",
        "Massachusetts",
        "MA",
        "United States",
        "US",
        "02108",
        "617",
        "0.0625",
        ("Beacon St", "Tremont St"),
    ),
    Place(
        "Vancouver",
        "British Columbia",
        "BC",
        "Canada",
        "CA",
        "V6B 1A1",
        "604",
        "0",
        ("Granville St", "Robson St"),
    ),
    Place(
        "Toronto",
        "Ontario",
        "ON",
        "Canada",
        "CA",
        "M5V 2T6",
        "416",
        "0",
        ("King St W", "Queen St W"),
    ),
)
PLACE_WEIGHTS = (6, 5, 4, 6, 3, 2, 3, 2, 2, 2)


@dataclass(frozen=True)
class Shopper:
    customer_id: int
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    place: Place
    address1: str


def shopper(rng: random.Random, customer_id: int) -> Shopper:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    place = rng.choices(PLACES, weights=PLACE_WEIGHTS)[0]
    phone = None
    if rng.random() < 0.35:
        phone = f"+1{place.area_code}55501{rng.randrange(100):02d}"
    return Shopper(
        customer_id=customer_id,
        first_name=first,
        last_name=last,
        email=f"{first}.{last}{rng.randrange(10, 99)}@example.com".lower(),
        phone=phone,
        place=place,
        address1=f"{rng.randrange(10, 2999)} {rng.choice(place.streets)}",
    )
