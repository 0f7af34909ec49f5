"""The mapped-spreadsheet adapter (``csv``): a column mapping instead of code, per account."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import (
    AdapterContext,
    NormalizationError,
    Record,
    split_records,
)
from omnioms.channels.adapters.csv_mapped import ADAPTER, MappingError, read_mapping
from omnioms.channels.adapters.csv_sample import preview, read_sample
from omnioms.channels.contract import Address, Buyer, Line, NormalizedOrder, Notes
from omnioms.core.choices import OrderStatus

FIXTURES = Path(__file__).parent / "fixtures" / "csv"

CN_MAPPING: dict[str, Any] = {
    "columns": {
        "order_id": "订单编号",
        "created_at": "下单时间",
        "paid_at": "付款时间",
        "status": "订单状态",
        "buyer_name": "买家姓名",
        "buyer_phone": "手机号",
        "ship_name": "买家姓名",
        "ship_phone": "手机号",
        "province": "省份",
        "city": "城市",
        "district": "区县",
        "address": "详细地址",
        "sku": "商家编码",
        "title": "商品名称",
        "quantity": "数量",
        "unit_price": "单价(分)",
        "line_discount": "优惠(分)",
        "shipping": "运费(分)",
        "buyer_note": "买家留言",
    },
    "money_unit": "minor",
    "status_map": {"已付款": "paid", "待付款": "pending_payment", "已发货": "shipped"},
}
EN_MAPPING: dict[str, Any] = {
    "columns": {
        "order_id": "Order Number",
        "created_at": "Order Date",
        "status": "Status",
        "currency": "Currency",
        "buyer_name": "Customer",
        "buyer_email": "Email",
        "sku": "Item SKU",
        "title": "Item Name",
        "quantity": "Qty",
        "line_total": "Line Total",
        "line_discount": "Line Discount",
        "shipping": "Shipping",
        "order_total": "Order Total",
    },
    "time_zone": "America/New_York",
    "order_values": "sum",
    "status_map": {"Completed": "completed", "Refunded": "refunded"},
}
SIMPLE: dict[str, Any] = {
    "columns": {"order_id": "Order", "title": "Item", "quantity": "Qty", "unit_price": "Price"}
}


def context(mapping: dict[str, Any], **kwargs: Any) -> AdapterContext:
    return AdapterContext(options={"column_mapping": mapping}, **kwargs)


def run(
    raw: bytes, name: str, mapping: dict[str, Any], **kwargs: Any
) -> tuple[dict[str, NormalizedOrder], dict[str, str]]:
    """Orders by external id, and failures by record label, as an import would see them."""
    ctx = context(mapping, **kwargs)
    orders: dict[str, NormalizedOrder] = {}
    failures: dict[str, str] = {}
    for record in split_records(ADAPTER, raw, name, ctx):
        try:
            order = ADAPTER.normalize(record, ctx)
        except NormalizationError as exc:
            failures[record.label] = str(exc)
        else:
            orders[order.external_id] = order
    return orders, failures


def text_orders(
    text: str, mapping: dict[str, Any] = SIMPLE, **kwargs: Any
) -> tuple[dict[str, NormalizedOrder], dict[str, str]]:
    return run(text.encode(), "orders.csv", mapping, **kwargs)


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_the_adapter_is_registered_under_csv() -> None:
    assert get_adapter("csv") is ADAPTER
    assert ADAPTER.file_types == ("csv", "xlsx")


def test_a_chinese_export_in_fen_with_naive_beijing_times_normalises_exactly() -> None:
    raw = (FIXTURES / "shop_cn_fen.csv").read_bytes()

    orders, failures = run(raw, "shop_cn_fen.csv", CN_MAPPING)

    assert orders["DD20240305001"] == NormalizedOrder(
        channel="csv",
        external_id="DD20240305001",
        status=OrderStatus.PAID,
        raw_status="已付款",
        currency="CNY",
        created_at=utc(2024, 3, 5, 11, 32, 10),
        paid_at=utc(2024, 3, 5, 11, 33),
        buyer=Buyer(name="王小明", phone="13800138000"),
        ship_to=Address(
            name="王小明",
            phone="13800138000",
            province="浙江省",
            city="杭州市",
            district="西湖区",
            address="文三路 100 号",
        ),
        lines=[
            Line(
                external_line_id="1",
                sku="BWB-500",
                title="保温杯 500ml",
                quantity=2,
                unit_price=Decimal("129.00"),
                discount=Decimal("10.00"),
                total=Decimal("248.00"),
            ),
            Line(
                external_line_id="2",
                sku=None,
                title="帆布袋 颜色:黑色;尺码:L",
                quantity=1,
                unit_price=Decimal("39.90"),
                discount=Decimal("0.00"),
                total=Decimal("39.90"),
            ),
            Line(
                external_line_id="3",
                sku="CBL-1M",
                title="数据线 1m",
                quantity=2,
                unit_price=Decimal("19.90"),
                discount=Decimal("0.00"),
                total=Decimal("39.80"),
            ),
        ],
        shipping=Decimal("8.00"),
        discount=Decimal("10.00"),
        total=Decimal("335.70"),
        notes=Notes(buyer="周末配送"),
    )
    assert orders["DD20240305001"].total_mismatch() == 0
    # A slash date without seconds, in Beijing time; an empty payment time stays unknown.
    assert orders["DD20240305002"].created_at == utc(2024, 3, 5, 13, 5)
    assert orders["DD20240305002"].paid_at is None
    assert orders["DD20240305002"].status == "pending_payment"
    assert failures == {"row 5": "row 5: 数量: '两' is not a number"}


def test_rows_of_one_order_are_one_record_even_when_another_order_comes_between() -> None:
    records = list(
        split_records(
            ADAPTER,
            (FIXTURES / "shop_cn_fen.csv").read_bytes(),
            "shop_cn_fen.csv",
            context(CN_MAPPING),
        )
    )

    assert [record.label for record in records] == ["row 4", "row 5", "rows 2-3, 7"]


def test_a_record_split_again_from_its_stored_bytes_gives_the_same_order() -> None:
    ctx = context(CN_MAPPING)
    raw = (FIXTURES / "shop_cn_fen.csv").read_bytes()
    record = list(split_records(ADAPTER, raw, "shop_cn_fen.csv", ctx))[-1]

    (again,) = split_records(ADAPTER, record.raw, "shop_cn_fen.csv", ctx)

    assert ADAPTER.normalize(again, ctx) == ADAPTER.normalize(record, ctx)
    assert again.label == "rows 2-3, 7"


def test_an_xlsx_with_line_totals_and_shares_of_shipping_on_each_row() -> None:
    raw = (FIXTURES / "store_en.xlsx").read_bytes()

    orders, failures = run(raw, "store_en.xlsx", EN_MAPPING, currency="CNY")

    assert failures == {}
    first = orders["1001"]
    assert first.currency == "USD"  # the currency column wins over the account's CNY
    assert first.created_at == utc(2024, 5, 2, 13, 15)  # 09:15 in New York (EDT)
    assert [(line.unit_price, line.discount, line.total) for line in first.lines] == [
        (Decimal("16.00"), Decimal("2.00"), Decimal("30.00")),
        (Decimal("12.99"), Decimal("0.00"), Decimal("12.99")),
    ]
    assert first.shipping == Decimal("5.00")
    assert first.total == Decimal("47.99")
    assert first.total_mismatch() == 0
    assert first.buyer == Buyer(name="Ann Lee", email="ann@example.com")
    # A line total that does not divide by the quantity: the unit price is rounded, the file's
    # total kept, and the cent shows as the order's mismatch rather than as a discount.
    second = orders["1002"]
    assert second.status == "refunded"
    assert (second.lines[0].unit_price, second.lines[0].total) == (
        Decimal("16.17"),
        Decimal("48.50"),
    )
    assert second.lines[0].discount == 0
    assert second.total_mismatch() == Decimal("-0.01")


def test_an_explicit_day_first_format_in_the_mappings_zone() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["columns"]["created_at"] = "Placed"
    mapping.update(date_format="%d/%m/%Y %H:%M", time_zone="Europe/London")

    orders, failures = text_orders(
        "Order,Placed,Item,Qty,Price\nA1,03/02/2024 14:30,Tea,1,3.50\nA2,2024-02-05,Tea,1,3.50\n"
        "A3,Feb 3 2024,Tea,1,3.50\n",
        mapping,
    )

    assert orders["A1"].created_at == utc(2024, 2, 3, 14, 30)
    assert orders["A2"].created_at == utc(2024, 2, 5, 0, 0)  # ISO text is always understood
    assert failures == {
        "row 4": "row 4: Placed: 'Feb 3 2024' does not match the date format %d/%m/%Y %H:%M"
    }


def test_unix_times_in_seconds_and_milliseconds() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["columns"].update(created_at="Created", updated_at="Updated")
    mapping["date_format"] = "unix"

    orders, _ = text_orders(
        "Order,Created,Updated,Item,Qty,Price\nA1,1709638330,1709638330500,Tea,1,3.50\n", mapping
    )

    assert orders["A1"].created_at == utc(2024, 3, 5, 11, 32, 10)
    assert orders["A1"].updated_at == datetime(2024, 3, 5, 11, 32, 10, 500000, tzinfo=UTC)


def test_no_quantity_column_means_one_and_symbols_name_the_currency() -> None:
    mapping = {"columns": {"order_id": "Order", "sku": "SKU", "unit_price": "Price"}}

    orders, failures = text_orders("Order,SKU,Price\nA1,TEA-1,$3.50\nA1,MUG-1,$12.00\n", mapping)

    assert failures == {}
    assert orders["A1"].currency == "USD"
    assert [(line.sku, line.quantity, line.title) for line in orders["A1"].lines] == [
        ("TEA-1", 1, ""),
        ("MUG-1", 1, ""),
    ]
    assert orders["A1"].total == Decimal("15.50")


def test_an_order_total_column_is_kept_and_a_difference_shows_as_mismatch() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["columns"].update(order_total="Paid", shipping="Freight", order_discount="Coupon")

    orders, _ = text_orders(
        "Order,Item,Qty,Price,Freight,Coupon,Paid\nA1,Tea,2,3.50,5.00,1.00,12.00\n"
        "A1,Mug,1,12.00,5.00,1.00,12.00\n",
        mapping,
    )

    order = orders["A1"]
    assert (order.shipping, order.discount, order.total) == (
        Decimal("5.00"),
        Decimal("1.00"),
        Decimal("12.00"),
    )
    assert order.total_mismatch() == Decimal("12.00") - Decimal("23.00")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ("A1,Tea,x,3.50", "row 2: Qty: 'x' is not a number"),
        ("A1,Tea,-1,3.50", "row 2: Qty: '-1' is negative"),
        ("A1,Tea,1,3,50", None),  # an extra cell is ignored, 3 is the price
        ("A1,Tea,1,abc", "row 2: Price: 'abc' is not a number"),
        ("A1,Tea,1,", "row 2: Price: is blank"),
        ("A1,,1,3.50", "row 2: Item: is blank: a line needs a title or a SKU"),
        (",Tea,1,3.50", "row 2: Order: is blank"),
    ],
)
def test_a_bad_cell_names_its_row_and_column(rows: str, expected: str | None) -> None:
    orders, failures = text_orders(f"Order,Item,Qty,Price\n{rows}\n")

    assert list(failures.values()) == ([expected] if expected else [])
    assert len(orders) == (0 if expected else 1)


def test_fen_with_decimals_is_refused() -> None:
    mapping = {**copy.deepcopy(SIMPLE), "money_unit": "minor"}

    _, failures = text_orders("Order,Item,Qty,Price\nA1,Tea,1,350.5\n", mapping)

    assert failures == {"row 2": "row 2: Price: '350.5' is not a whole number of fen or cents"}


def test_a_status_missing_from_the_map_names_the_value_and_what_is_mapped() -> None:
    mapping = {**copy.deepcopy(CN_MAPPING), "status_map": {"已付款": "paid"}}

    _, failures = run((FIXTURES / "shop_cn_fen.csv").read_bytes(), "shop_cn_fen.csv", mapping)

    assert failures["row 4"] == (
        "row 4: 订单状态: '待付款' is not in the status mapping (mapped values: '已付款')"
    )


def test_unified_status_codes_need_no_map_and_no_status_column_uses_the_default() -> None:
    with_status = copy.deepcopy(SIMPLE)
    with_status["columns"]["status"] = "State"
    orders, _ = text_orders("Order,State,Item,Qty,Price\nA1,Shipped,Tea,1,3.50\n", with_status)
    assert orders["A1"].status == "shipped"

    orders, _ = text_orders(
        "Order,Item,Qty,Price\nA1,Tea,1,3.50\n", {**SIMPLE, "default_status": "completed"}
    )
    assert orders["A1"].status == "completed"
    assert orders["A1"].raw_status is None


def test_order_columns_that_disagree_between_rows_name_both_rows() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["columns"]["buyer_name"] = "Buyer"

    _, failures = text_orders(
        "Order,Buyer,Item,Qty,Price\nA1,Ann,Tea,1,3.50\nA1,,Mug,1,9.00\nA1,Bo,Cup,1,2.00\n",
        mapping,
    )

    assert failures == {"rows 2-4": "row 4: Buyer: 'Bo' where row 2 says 'Ann'"}


def test_a_repeated_line_id_is_refused() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["columns"]["line_id"] = "Line"

    _, failures = text_orders(
        "Order,Line,Item,Qty,Price\nA1,L1,Tea,1,3.50\nA1,L1,Mug,1,9.00\n", mapping
    )

    assert failures == {"rows 2-3": "row 3: Line: line id 'L1' repeats row 2"}


def test_amounts_in_another_currency_than_the_order_are_refused() -> None:
    mapping = copy.deepcopy(SIMPLE)
    mapping["currency"] = "CNY"

    _, failures = text_orders("Order,Item,Qty,Price\nA1,Tea,1,$3.50\n", mapping)

    assert failures == {"row 2": "row 2: an amount in USD on an order in CNY"}


def test_a_missing_mapped_column_names_it_and_lists_the_columns_found() -> None:
    with pytest.raises(NormalizationError) as raised:
        text_orders("Order,Item,Quantity,Price\nA1,Tea,1,3.50\n")

    assert str(raised.value) == (
        "orders.csv: missing mapped column(s) Qty (found: Order, Item, Quantity, Price)"
    )


def test_headers_match_without_case_spaces_or_a_byte_order_mark() -> None:
    orders, failures = run(
        "\ufefforder , ITEM,q t y,price\nA1,Tea,2,3.50\n".encode(), "bom.csv", SIMPLE
    )

    assert failures == {}
    assert orders["A1"].lines[0].quantity == 2


def test_without_a_mapping_the_file_is_refused_with_what_to_do() -> None:
    with pytest.raises(MappingError, match="no column mapping is set for this account"):
        list(split_records(ADAPTER, b"Order\nA1\n", "a.csv", AdapterContext()))


def test_without_an_account_the_plain_split_explains_that_a_mapping_is_needed() -> None:
    with pytest.raises(NormalizationError, match="import the file into an account"):
        list(ADAPTER.split(b"Order\nA1\n", "a.csv"))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"columns": {"title": "Item", "unit_price": "Price"}}, "columns.order_id: choose"),
        ({"columns": {"order_id": "Order", "title": "Item"}}, "columns.unit_price: choose"),
        ({"columns": {"order_id": "Order", "unit_price": "P"}}, "columns.title: choose"),
        ({"columns": {**SIMPLE["columns"], "colour": "C"}}, "'colour' is not a target field"),
        ({"money_unit": "jiao"}, "money_unit: 'jiao' is not one of major, minor"),
        ({"date_format": "dd/mm/yyyy"}, "date_format: 'dd/mm/yyyy' is not auto, unix or"),
        ({"time_zone": "Mars/Base"}, "time_zone: 'Mars/Base' is not a known time zone"),
        ({"currency": "rmb"}, "currency: 'rmb' is not an ISO 4217 code"),
        ({"status_map": {"已付款": "payed"}}, "status_map.已付款: 'payed' is not a status"),
        ({"default_status": "done"}, "default_status: 'done' is not a status"),
        ({"order_values": "max"}, "order_values: 'max' is not one of first, sum"),
        ({"taxes_included": "yes"}, "taxes_included: 'yes' is not true or false"),
        ({"header_row": 2}, "unknown setting(s) header_row"),
    ],
)
def test_a_wrong_mapping_names_the_setting(change: dict[str, Any], message: str) -> None:
    with pytest.raises(MappingError) as raised:
        read_mapping({"column_mapping": {**SIMPLE, **change}})

    assert message in str(raised.value)
    assert str(raised.value).startswith("column_mapping.") or "unknown" in str(raised.value)


def test_a_sample_keeps_the_header_and_first_rows_and_says_when_it_cut() -> None:
    raw = (FIXTURES / "shop_cn_fen.csv").read_bytes()

    sample = read_sample(raw, "shop_cn_fen.csv", limit=3)

    assert sample.header[:3] == ["订单编号", "下单时间", "付款时间"]
    assert [row[0] for row in sample.rows] == ["DD20240305001", "DD20240305001", "DD20240305002"]
    assert sample.truncated
    assert sample.values("订单状态") == ["已付款", "待付款"]
    assert sample.document.decode().splitlines()[0].startswith("订单编号,")


def test_a_sample_of_an_xlsx_reads_its_cells_as_text() -> None:
    sample = read_sample((FIXTURES / "store_en.xlsx").read_bytes(), "store_en.xlsx")

    assert sample.header[0] == "Order Number"
    assert sample.rows[0][:3] == ["1001", "2024-05-02 09:15:00", "Completed"]
    assert not sample.truncated


def test_an_unreadable_sample_is_refused_clearly() -> None:
    with pytest.raises(NormalizationError, match="not a readable XLSX workbook"):
        read_sample(b"PK\x03\x04 broken", "x.xlsx")
    with pytest.raises(NormalizationError, match="no header row"):
        read_sample(b"\n\n", "empty.csv")


def test_a_preview_shows_the_orders_and_the_rows_that_would_fail() -> None:
    raw = (FIXTURES / "shop_cn_fen.csv").read_bytes()
    sample = read_sample(raw, "shop_cn_fen.csv")

    result = preview(
        sample.document,
        "shop_cn_fen.csv",
        read_mapping({"column_mapping": CN_MAPPING}),
        AdapterContext(),
    )

    assert sorted(order.external_id for order in result.orders) == [
        "DD20240305001",
        "DD20240305002",
    ]
    assert result.failures == [("row 5", "row 5: 数量: '两' is not a number")]


def test_a_preview_with_a_column_the_file_lacks_fails_as_a_whole() -> None:
    mapping = read_mapping({"column_mapping": SIMPLE})

    result = preview(b"Order,Item,Price\nA1,Tea,1\n", "a.csv", mapping, AdapterContext())

    assert result.orders == []
    assert result.failures == [
        ("a.csv", "a.csv: missing mapped column(s) Qty (found: Order, Item, Price)")
    ]


def test_normalize_refuses_a_record_that_holds_two_orders() -> None:
    record = Record(raw=b"Order,Item,Qty,Price\nA1,Tea,1,3\nA2,Tea,1,3\n", label="rows 2-3")

    with pytest.raises(NormalizationError, match=r"holds several orders \(A1, A2\)"):
        ADAPTER.normalize(record, context(SIMPLE))
