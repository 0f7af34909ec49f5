"""The store POS export adapter: Square-style CSV, an older US export, a Chinese XLSX sheet."""

from __future__ import annotations

import csv
import io
import tracemalloc
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from omnioms.channels.adapters import get_adapter
from omnioms.channels.adapters.base import AdapterContext, NormalizationError, Record
from omnioms.channels.adapters.pos_csv import ADAPTER
from omnioms.channels.contract import Buyer, Line, NormalizedOrder, Notes

FIXTURES = Path(__file__).parent / "fixtures" / "pos_csv"
SQUARE = "square_items_detail.csv"
SQUARE_2016 = "square_items_detail_2016.csv"
CHINA = "store_cn.xlsx"
MALFORMED = "malformed_qty.csv"
LOS_ANGELES = AdapterContext(time_zone=ZoneInfo("America/Los_Angeles"), currency="USD")
BEIJING = AdapterContext()
SHORT_HEADER = "Date,Time,Time Zone,Item,Qty,SKU,Gross Sales,Discounts,Net Sales,Tax,Transaction ID"


def split(raw: bytes, name: str) -> list[Record]:
    return list(ADAPTER.split(raw, name))


def fixture_records(name: str) -> list[Record]:
    return split((FIXTURES / name).read_bytes(), name)


def fixture_orders(name: str, context: AdapterContext) -> dict[str, NormalizedOrder]:
    normalized = (ADAPTER.normalize(record, context) for record in fixture_records(name))
    return {order.external_id: order for order in normalized}


def csv_orders(text: str, context: AdapterContext = LOS_ANGELES) -> list[NormalizedOrder]:
    return [ADAPTER.normalize(record, context) for record in split(text.encode(), "pos.csv")]


def utc(year: int, month: int, day: int, hour: int, minute: int, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def line(
    line_id: str,
    sku: str | None,
    title: str,
    quantity: int,
    unit_price: str,
    discount: str,
    total: str,
    refunded: int = 0,
) -> Line:
    return Line(
        external_line_id=line_id,
        sku=sku,
        title=title,
        quantity=quantity,
        unit_price=Decimal(unit_price),
        discount=Decimal(discount),
        total=Decimal(total),
        refunded_quantity=refunded,
    )


# ----------------------------------------------------------------------------------------------
# Splitting


def test_the_adapter_is_registered_as_pos_csv_for_csv_and_xlsx_files() -> None:
    assert get_adapter("pos_csv") is ADAPTER
    assert ADAPTER.code == "pos_csv"
    assert ADAPTER.file_types == ("csv", "xlsx")


def test_square_export_splits_into_one_record_per_transaction_with_its_file_rows() -> None:
    records = fixture_records(SQUARE)

    # The refund on row 9 belongs to the sale on rows 6-7: that order is complete only there.
    assert [record.label for record in records] == ["rows 2-3", "rows 4-5", "row 8", "rows 6-7, 9"]
    assert {record.content_type for record in records} == {"text/csv"}
    assert [[row[0] for row in csv.reader(io.StringIO(r.raw.decode()))] for r in records] == [
        ["Source Row", "2", "3"],
        ["Source Row", "4", "5"],
        ["Source Row", "8"],
        ["Source Row", "6", "7", "9"],
    ]


def test_a_record_is_the_header_and_its_rows_as_the_file_wrote_them() -> None:
    lines = (FIXTURES / SQUARE_2016).read_text(encoding="utf-8").splitlines()

    first, second = fixture_records(SQUARE_2016)

    assert first.raw.decode() == f"Source Row,{lines[0]}\n2,{lines[1]}\n3,{lines[2]}\n"
    assert second.raw.decode() == f"Source Row,{lines[0]}\n4,{lines[3]}\n"


def test_a_record_split_again_on_replay_keeps_its_original_row_numbers() -> None:
    stored = fixture_records(MALFORMED)[1]

    (again,) = split(stored.raw, MALFORMED)

    assert (again.raw, again.label) == (stored.raw, "rows 3-4")
    with pytest.raises(NormalizationError) as error:
        ADAPTER.normalize(again, LOS_ANGELES)
    assert error.value.field == "row 4: Qty"


def test_a_record_of_an_xlsx_file_is_split_again_as_csv_under_the_workbook_name() -> None:
    stored = fixture_records(CHINA)[1]

    (again,) = split(stored.raw, CHINA)

    assert (again.raw, again.label) == (stored.raw, "rows 4-6")


def test_missing_required_columns_are_named_with_the_file() -> None:
    raw = b"Date,Item,Gross Sales\n2024-03-09,Latte,$5.50\n"

    with pytest.raises(NormalizationError) as error:
        split(raw, "march.csv")

    assert error.value.field == "march.csv"
    assert error.value.message == (
        "missing column(s) Transaction ID, Qty (found: Date, Item, Gross Sales)"
    )
    assert str(error.value).startswith("march.csv: missing column(s) Transaction ID, Qty")


def test_a_file_without_any_money_column_names_the_money_columns() -> None:
    raw = "Date,交易号,商品名称,数量\n2024-03-05,T1,帆布袋,1\n".encode()

    with pytest.raises(NormalizationError, match=r"missing column\(s\) Gross Sales or Net Sales"):
        split(raw, "门店.csv")


def test_headers_match_whatever_their_case_and_spacing() -> None:
    raw = (
        " date ,TIME,time zone,ITEM,qty,sku,GROSS  SALES,discounts,Net_Sales,TAX,transaction id\n"
        "2024-03-09,09:15:42,America/Los_Angeles,Latte,1,LAT-16,$5.50,$0.00,$5.50,$0.50,T1\n"
    )

    (order,) = csv_orders(raw)

    assert order.lines == [line("1", "LAT-16", "Latte", 1, "5.50", "0.00", "5.50")]
    assert order.total == Decimal("6.00")


def test_an_old_binary_xls_or_a_broken_xlsx_is_a_clear_error() -> None:
    with pytest.raises(NormalizationError, match=r"old \.xls workbook"):
        split(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64, "sales.xls")
    with pytest.raises(NormalizationError, match="is not a readable XLSX workbook") as error:
        split(b"PK\x03\x04 not really a workbook", "sales.xlsx")
    assert error.value.field == "sales.xlsx"


def test_a_large_export_splits_without_holding_its_rows() -> None:
    header = (FIXTURES / SQUARE).read_text(encoding="utf-8").splitlines()[0]
    row = (
        "2024-03-09,09:15:42,America/Los_Angeles,Coffee,Item {item},2,Large,SKU-{item},Oat Milk,"
        "$11.00,$0.00,$11.00,$0.99,TX{tid:06d},pay{tid},Front Counter,Extra hot,,Payment,"
        "Mission St,For Here,CUST-88,Dana Whitfield,,ea,1,,Physical Item,$0.00,Sam Lee,,"
        "Point of Sale,,Visa,4242"
    )
    body = [row.format(item=item, tid=tid) for tid in range(10_000) for item in range(3)]
    body.append(row.format(item=9, tid=5))  # a late row of transaction 5
    raw = "\r\n".join([header, *body, ""]).encode()

    tracemalloc.start()
    try:
        count, late = 0, None
        for record in ADAPTER.split(raw, "big.csv"):
            count += 1
            late = record if record.label.startswith("rows 17-19") else late
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert count == 10_000
    assert late is not None
    assert late.label == "rows 17-19, 30002"
    # The file is 7.8 MB; its 30,000 rows as Python lists would take some 70 MB.
    assert peak < 8_000_000


# ----------------------------------------------------------------------------------------------
# Square-style US export


def test_multi_item_sale_reads_every_line_with_tokens_and_a_blank_sku() -> None:
    order = fixture_orders(SQUARE, LOS_ANGELES)["4Nk3xJ1yGZ3pQ"]

    assert order.channel == "pos_csv"
    assert (order.status, order.raw_status, order.currency) == ("completed", "Payment", "USD")
    assert order.lines == [
        line("tok-4Nk3-1", "LAT-16", "Latte", 2, "5.50", "0.00", "11.00"),
        line("tok-4Nk3-2", None, "Blueberry Muffin", 1, "3.50", "0.00", "3.50"),
    ]
    assert (order.discount, order.tax, order.total) == (
        Decimal("0"),
        Decimal("1.31"),
        Decimal("15.81"),
    )
    assert order.taxes_included is False
    assert order.total_mismatch() == 0
    assert order.buyer == Buyer(name="Dana Whitfield", channel_buyer_id="CUST-88")
    assert order.notes == Notes(seller="Extra hot")
    assert order.ship_to is None


def test_pacific_standard_time_is_eight_hours_behind_utc() -> None:
    order = fixture_orders(SQUARE, LOS_ANGELES)["4Nk3xJ1yGZ3pQ"]

    assert order.created_at == order.paid_at == order.updated_at == utc(2024, 3, 9, 17, 15, 42)
    assert order.model_dump(mode="json")["created_at"] == "2024-03-09T17:15:42Z"


def test_discounts_are_positive_and_net_sales_are_the_line_totals_on_a_daylight_time_day() -> None:
    order = fixture_orders(SQUARE, LOS_ANGELES)["7Hq2LmPzR8"]

    assert order.lines == [
        line("1", "MUG-01", "Ceramic Mug", 3, "15.00", "4.50", "40.50"),
        line("2", "POK-02", "Pour-over Kit", 1, "32.00", "3.20", "28.80"),
    ]
    assert (order.discount, order.tax, order.total) == (
        Decimal("7.70"),
        Decimal("6.24"),
        Decimal("75.54"),
    )
    assert order.total_mismatch() == 0
    assert order.created_at == utc(2024, 3, 10, 21, 5)  # 14:05 PDT, daylight time since 02:00
    assert order.buyer == Buyer()
    assert order.notes.seller == "10% off merch"


def test_amounts_are_written_as_cents_in_the_normalised_json() -> None:
    data = fixture_orders(SQUARE, LOS_ANGELES)["7Hq2LmPzR8"].model_dump(mode="json")

    assert data["lines"][0]["unit_price"] == "15.00"
    assert data["lines"][0]["discount"] == "4.50"
    assert (data["discount"], data["tax"], data["total"]) == ("7.70", "6.24", "75.54")


def test_refund_row_later_in_the_file_joins_its_sale_and_counts_refunded_units() -> None:
    order = fixture_orders(SQUARE, LOS_ANGELES)["9Rf5TxW2"]

    assert (order.status, order.raw_status) == ("completed", "Payment, Refund")
    assert order.lines == [
        line("1", "CB-16", "Cold Brew", 2, "5.00", "0.00", "10.00"),
        line("2", "COOK-OAT", "Oat Cookie", 3, "2.50", "0.00", "7.50", refunded=1),
    ]
    # The refund's money is not subtracted: the order keeps what the sale came to.
    assert (order.tax, order.total) == (Decimal("1.58"), Decimal("19.08"))
    assert order.created_at == order.paid_at == utc(2024, 3, 11, 17, 20)
    assert order.updated_at == utc(2024, 3, 11, 23, 45, 10)


def test_a_transaction_of_refund_rows_only_is_a_return_order_of_its_own() -> None:
    orders = fixture_orders(SQUARE, LOS_ANGELES)
    assert "2Bw8KdQ5" not in orders  # the sale's id stays the sale's, whatever file it is in
    order = orders["2Bw8KdQ5/return/20240311T190000"]

    assert (order.status, order.raw_status) == ("refunded", "Refund")
    assert order.lines == [line("1", "LAT-16", "Latte", 1, "5.50", "0.00", "5.50", refunded=1)]
    assert (order.tax, order.total) == (Decimal("0.50"), Decimal("6.00"))
    assert order.created_at == order.updated_at == utc(2024, 3, 11, 19, 0)
    assert order.paid_at is None
    assert order.buyer == Buyer(name="Dana Whitfield", channel_buyer_id="CUST-88")


def test_older_export_reads_us_dates_twelve_hour_times_and_square_zone_names() -> None:
    orders = fixture_orders(SQUARE_2016, LOS_ANGELES)

    machine = orders["Xk29AbQ"]
    assert machine.created_at == utc(2016, 3, 5, 22, 5, 33)  # 03/05 is March 5, 2:05:33 PM PST
    assert machine.lines == [
        line("1", "EM-900", "Espresso Machine", 1, "1299.00", "129.90", "1169.10"),
        line("2", "DS-2", "Descaler", 2, "12.00", "0.00", "24.00"),
    ]
    assert (machine.discount, machine.tax, machine.total) == (
        Decimal("129.90"),
        Decimal("104.40"),
        Decimal("1297.50"),
    )
    assert machine.total_mismatch() == 0
    assert machine.notes.seller == 'Deliver Tuesday, "fragile"'

    kit = orders["Yp77CdR"]
    assert kit.created_at == utc(2016, 11, 7, 17, 30)  # standard time again after November 6
    assert kit.lines == [line("1", "POK-02", "Pour-over Kit", 1, "32.00", "0.00", "32.00")]
    assert (kit.tax, kit.total) == (Decimal("2.80"), Decimal("34.80"))
    assert kit.buyer == Buyer(name="Ana Ruiz", channel_buyer_id="CUST-12")


# ----------------------------------------------------------------------------------------------
# Chinese store export (XLSX, Chinese headers)


def test_chinese_xlsx_splits_by_transaction_and_skips_the_blank_row() -> None:
    records = fixture_records(CHINA)

    assert [record.label for record in records] == ["rows 2-3", "rows 4-6", "row 7", "row 9"]
    assert records[2].raw.decode().splitlines() == [
        "Source Row,日期,时间,时区,交易号,商品名称,商品编码,数量,销售总额,折扣,净销售额,税额,"
        "门店,客户ID,客户名称,事件类型,备注,员工",
        "7,2024/03/06,10:00,,POS20240306-0003,矿泉水,WTR-550,12,24,0,24,2.76,徐汇店,,,销售,,张伟",
    ]


def test_chinese_sale_with_excel_date_and_time_cells_includes_tax_in_prices() -> None:
    order = fixture_orders(CHINA, BEIJING)["POS20240305-0001"]

    assert (order.status, order.raw_status, order.currency) == ("completed", "销售", "CNY")
    assert order.lines == [
        line("1", "BWB-500", "保温杯 500ml", 2, "129.00", "20.00", "238.00"),
        line("2", None, "帆布袋", 1, "39.90", "0.00", "39.90"),
    ]
    assert order.taxes_included is True
    assert (order.discount, order.tax, order.total) == (
        Decimal("20.00"),
        Decimal("31.97"),
        Decimal("277.90"),
    )
    assert order.total_mismatch() == 0
    assert order.created_at == utc(2024, 3, 5, 11, 32, 10)  # 19:32:10 in Asia/Shanghai
    assert order.buyer == Buyer(name="王小明", channel_buyer_id="M10086")
    assert order.notes == Notes(seller="会员日")


def test_chinese_refund_row_with_positive_quantity_marks_the_sold_line() -> None:
    order = fixture_orders(CHINA, BEIJING)["POS20240305-0002"]

    assert (order.status, order.raw_status) == ("completed", "销售, 退款")
    assert order.lines == [
        line("1", "EAR-BT5", "蓝牙耳机", 1, "1299.00", "0.00", "1299.00"),
        line("2", "CBL-1M", "数据线 1m", 2, "19.90", "0.00", "39.80", refunded=1),
    ]
    assert (order.tax, order.total) == (Decimal("154.02"), Decimal("1338.80"))
    assert order.created_at == order.paid_at == utc(2024, 3, 5, 13, 5)  # UTC+8 in the zone column
    assert order.updated_at == utc(2024, 3, 5, 13, 40)
    assert order.notes.seller == "质量问题"


def test_text_dates_and_a_blank_zone_use_the_account_zone() -> None:
    beijing = fixture_orders(CHINA, BEIJING)["POS20240306-0003"]
    shanghai_store_on_utc_account = fixture_orders(CHINA, AdapterContext(time_zone=ZoneInfo("UTC")))

    assert beijing.created_at == utc(2024, 3, 6, 2, 0)
    assert shanghai_store_on_utc_account["POS20240306-0003"].created_at == utc(2024, 3, 6, 10, 0)
    assert beijing.lines == [line("1", "WTR-550", "矿泉水", 12, "2.00", "0.00", "24.00")]
    assert (beijing.tax, beijing.total) == (Decimal("2.76"), Decimal("24.00"))


def test_gmt_offset_zone_and_a_sale_without_sku() -> None:
    order = fixture_orders(CHINA, BEIJING)["POS20240306-0004"]

    assert order.created_at == utc(2024, 3, 6, 4, 0)
    assert order.lines == [line("1", None, "帆布袋", 1, "39.90", "5.00", "34.90")]
    assert (order.discount, order.tax, order.total) == (
        Decimal("5.00"),
        Decimal("4.02"),
        Decimal("34.90"),
    )
    assert order.buyer == Buyer(name="陈静", channel_buyer_id="M20417")


def test_make_xlsx_script_rebuilds_the_committed_workbook_rows(tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_xlsx", FIXTURES / "make_xlsx.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path / "store_cn.xlsx")

    rebuilt = split((tmp_path / "store_cn.xlsx").read_bytes(), "store_cn.xlsx")

    assert [r.raw for r in rebuilt] == [r.raw for r in fixture_records(CHINA)]


# ----------------------------------------------------------------------------------------------
# Encodings, values and bad rows


def test_gb18030_csv_is_decoded_and_its_yuan_sign_names_the_currency() -> None:
    text = (
        "日期,时间,时区,交易号,商品名称,商品编码,数量,销售总额,折扣,净销售额,税额,事件类型\n"
        '2024-03-05,19:32:10,Asia/Shanghai,LS001,蓝牙耳机,EAR-BT5,1,"￥1,299.00",￥0.00,'
        '"￥1,299.00",￥149.44,销售\n'
    )
    raw = text.encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")

    (record,) = split(raw, "门店销售.csv")
    order = ADAPTER.normalize(record, LOS_ANGELES)

    assert "交易号" in record.raw.decode("utf-8")
    assert order.currency == "CNY"  # the ￥ on the amounts wins over the account's USD
    assert order.taxes_included is True
    assert order.lines == [line("1", "EAR-BT5", "蓝牙耳机", 1, "1299.00", "0.00", "1299.00")]
    assert (order.tax, order.total) == (Decimal("149.44"), Decimal("1299.00"))
    assert order.created_at == utc(2024, 3, 5, 11, 32, 10)


def test_malformed_qty_fails_only_its_own_transaction() -> None:
    records = fixture_records(MALFORMED)
    assert [record.label for record in records] == ["row 2", "rows 3-4", "row 5"]

    first = ADAPTER.normalize(records[0], LOS_ANGELES)
    with pytest.raises(NormalizationError) as error:
        ADAPTER.normalize(records[1], LOS_ANGELES)
    last = ADAPTER.normalize(records[2], LOS_ANGELES)

    assert error.value.field == "row 4: Qty"
    assert error.value.message == "'abc' is not a number"
    assert str(error.value) == "row 4: Qty: 'abc' is not a number"
    assert first.external_id == "T-100"
    assert first.lines == [line("1", "BGL-1", "Bagel", 2, "2.50", "0.00", "5.00")]
    assert (first.total, first.created_at) == (Decimal("5.44"), utc(2024, 5, 2, 12, 1))
    assert last.external_id == "T-102"
    assert last.lines == [line("1", "BGL-1", "Bagel", 1, "2.50", "0.00", "2.50")]
    assert (last.total, last.created_at) == (Decimal("2.72"), utc(2024, 5, 2, 12, 12, 5))


@pytest.mark.parametrize(
    ("cell", "amount", "currency"),
    [
        ("$45.00", "45.00", "USD"),
        ("-$5.00", "-5.00", "USD"),
        ("$-5.00", "-5.00", "USD"),
        ("(5.00)", "-5.00", "EUR"),
        ('"($1,234.50)"', "-1234.50", "USD"),
        ('"¥1,299.00"', "1299.00", "CNY"),
        ("￥8.8", "8.80", "CNY"),
        ("45", "45.00", "EUR"),
        ("12.345", "12.345", "EUR"),
    ],
)
def test_money_text_is_read_exactly(cell: str, amount: str, currency: str) -> None:
    row = f"2024-03-09,09:00,UTC,Gift Card,1,GC,{cell},,{cell},,T1"

    (order,) = csv_orders(f"{SHORT_HEADER}\n{row}\n", AdapterContext(currency="EUR"))

    assert (order.lines[0].unit_price, order.lines[0].total) == (Decimal(amount), Decimal(amount))
    assert order.currency == currency


@pytest.mark.parametrize(
    ("cell", "field", "message"),
    [
        ("abc", "row 2: Net Sales", "'abc' is not a number"),
        ("1,5", "row 2: Net Sales", "'1,5' is not a number"),
        ("$5.00 EUR", "row 2: Net Sales", "'$5.00 EUR' is not a single amount"),
    ],
)
def test_unreadable_money_names_the_row_and_column(cell: str, field: str, message: str) -> None:
    row = f'2024-03-09,09:00,UTC,Latte,1,LAT,$5.00,,"{cell}",,T1'

    with pytest.raises(NormalizationError) as error:
        csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert (error.value.field, error.value.message) == (field, message)


def test_a_fractional_qty_is_not_a_whole_number_of_items() -> None:
    row = "2024-03-09,09:00,UTC,Coffee Beans,1.5,BEAN,$15.00,,$15.00,,T1"

    with pytest.raises(NormalizationError) as error:
        csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert str(error.value) == "row 2: Qty: '1.5' is not a whole number"


def test_unit_price_not_exact_to_the_cent_is_rounded_and_the_line_keeps_net_sales() -> None:
    row = "2024-03-09,09:00,UTC,Tea Sampler,3,TEA-3,$10.00,-$1.00,$9.00,$0.81,T1"

    (order,) = csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert order.lines == [line("1", "TEA-3", "Tea Sampler", 3, "3.33", "1.00", "9.00")]
    assert order.total == Decimal("9.81")  # what the POS charged
    assert order.total_mismatch() == Decimal("0.01")  # 3 x 3.33 is a cent short of 10.00


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2024-03-05", utc(2024, 3, 5, 9, 0)),
        ("2024/3/5", utc(2024, 3, 5, 9, 0)),
        ("2024年3月5日", utc(2024, 3, 5, 9, 0)),
        ("03/05/2024", utc(2024, 3, 5, 9, 0)),  # ambiguous: month first, as US exports write
        ("05/13/2024", utc(2024, 5, 13, 9, 0)),
        ("13/05/2024", utc(2024, 5, 13, 9, 0)),  # 13 cannot be a month: day first
        ("3/5/24", utc(2024, 3, 5, 9, 0)),
    ],
)
def test_date_orders_of_older_exports(day: str, expected: datetime) -> None:
    row = f"{day},09:00,UTC,Latte,1,LAT,$5.00,,$5.00,,T1"

    (order,) = csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert order.created_at == expected


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        ("Asia/Shanghai", utc(2024, 7, 1, 4, 30)),
        ("UTC+8", utc(2024, 7, 1, 4, 30)),
        ("GMT+08:00", utc(2024, 7, 1, 4, 30)),
        ("America/Los_Angeles", utc(2024, 7, 1, 19, 30)),
        ("Pacific Time (US & Canada)", utc(2024, 7, 1, 19, 30)),
        ("UTC-05:30", utc(2024, 7, 1, 18, 0)),
        ("UTC", utc(2024, 7, 1, 12, 30)),
        ("", utc(2024, 7, 1, 19, 30)),  # the account's zone, Los Angeles here
    ],
)
def test_time_zone_column_forms_convert_to_utc(zone: str, expected: datetime) -> None:
    row = f"2024-07-01,12:30:00 PM,{zone},Latte,1,LAT,$5.00,,$5.00,,T1"

    (order,) = csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert order.created_at == expected


def test_an_unknown_time_zone_names_its_row() -> None:
    row = "2024-07-01,12:30,Mars/Olympus,Latte,1,LAT,$5.00,,$5.00,,T1"

    with pytest.raises(NormalizationError) as error:
        csv_orders(f"{SHORT_HEADER}\n{row}\n")

    assert str(error.value) == "row 2: Time Zone: 'Mars/Olympus' is not a known time zone"


def test_a_tax_included_column_overrides_the_currency_rule() -> None:
    header = f"{SHORT_HEADER},Tax Included"
    rows = [
        "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,$0.50,T1,Yes",
        "2024-03-09,10:00,Asia/Shanghai,帆布袋,1,,¥39.90,,¥39.90,¥4.59,T2,否",
    ]

    usd_included, cny_added = csv_orders("\n".join([header, *rows, ""]))

    assert (usd_included.taxes_included, usd_included.total) == (True, Decimal("5.50"))
    assert (cny_added.taxes_included, cny_added.total) == (False, Decimal("44.49"))
    assert usd_included.total_mismatch() == cny_added.total_mismatch() == 0


def test_a_refund_row_without_sku_matches_the_sold_item_by_name() -> None:
    header = f"{SHORT_HEADER},Event Type"
    rows = [
        "2024-03-09,09:00,UTC,Blueberry Muffin,2,,$7.00,,$7.00,,T1,Payment",
        "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,,T1,Payment",
        "2024-03-09,09:30,UTC,Blueberry Muffin,-2,,-$7.00,,-$7.00,,T1,Refund",
        "2024-03-09,09:31,UTC,Latte,-1,LAT,-$5.50,,-$5.50,,T1,Refund",
    ]

    (order,) = csv_orders("\n".join([header, *rows, ""]))

    assert [(item.title, item.refunded_quantity) for item in order.lines] == [
        ("Blueberry Muffin", 2),
        ("Latte", 1),
    ]
    assert order.status == "refunded"  # every unit sold was refunded
    assert order.total == Decimal("12.50")


def test_a_negative_qty_without_an_event_type_column_is_a_refund() -> None:
    rows = [
        "2024-03-09,09:00,UTC,Latte,2,LAT,$11.00,,$11.00,,T1",
        "2024-03-09,09:10,UTC,Latte,-1,LAT,-$5.50,,-$5.50,,T1",
    ]

    (order,) = csv_orders("\n".join([SHORT_HEADER, *rows, ""]))

    assert order.lines == [line("1", "LAT", "Latte", 2, "5.50", "0.00", "11.00", refunded=1)]
    assert (order.status, order.raw_status) == ("completed", None)


def test_a_refund_of_more_than_was_sold_is_an_error_on_its_row() -> None:
    header = f"{SHORT_HEADER},Event Type"
    rows = [
        "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,,T1,Payment",
        "2024-03-09,09:30,UTC,Latte,-2,LAT,-$11.00,,-$11.00,,T1,Refund",
    ]

    with pytest.raises(NormalizationError) as error:
        csv_orders("\n".join([header, *rows, ""]))

    assert error.value.field == "row 3: Qty"
    assert error.value.message == (
        "refunds 2 of sku 'LAT': transaction T1 has only 1 sold and not refunded"
    )


def test_an_unknown_event_type_is_an_error() -> None:
    row = "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,,T1,Exchange"

    with pytest.raises(NormalizationError) as error:
        csv_orders(f"{SHORT_HEADER},Event Type\n{row}\n")

    assert str(error.value) == "row 2: Event Type: 'Exchange' is neither a payment nor a refund"


def test_a_row_without_transaction_id_fails_alone() -> None:
    rows = [
        "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,,T1",
        "2024-03-09,09:05,UTC,Scone,1,SCN,$3.25,,$3.25,,",
        "2024-03-09,09:10,UTC,Latte,1,LAT,$5.50,,$5.50,,T2",
    ]

    records = split("\n".join([SHORT_HEADER, *rows, ""]).encode(), "pos.csv")

    assert [record.label for record in records] == ["row 2", "row 3", "row 4"]
    with pytest.raises(NormalizationError) as error:
        ADAPTER.normalize(records[1], LOS_ANGELES)
    assert str(error.value) == "row 3: Transaction ID: is blank"
    assert ADAPTER.normalize(records[2], LOS_ANGELES).external_id == "T2"


def test_mixed_currencies_in_one_transaction_are_an_error() -> None:
    rows = [
        "2024-03-09,09:00,UTC,Latte,1,LAT,$5.50,,$5.50,,T1",
        "2024-03-09,09:00,UTC,帆布袋,1,,¥39.90,,¥39.90,,T1",
    ]

    with pytest.raises(NormalizationError) as error:
        csv_orders("\n".join([SHORT_HEADER, *rows, ""]))

    assert str(error.value) == "row 3: currency: CNY where earlier rows say USD"
