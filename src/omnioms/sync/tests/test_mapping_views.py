"""The spreadsheet mapping page: upload a sample, map, preview, save; imports then use it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation

from omnioms.channels.models import ChannelAccount, DeadLetter
from omnioms.channels.tests.test_adapter_csv import CN_MAPPING
from omnioms.core.actor import Actor
from omnioms.core.roles import Role
from omnioms.orders.models import Order
from omnioms.sync.forms import column_field, status_field
from omnioms.sync.services import import_file, replay_dead_letter
from omnioms.sync.webhooks import receive_webhook
from omnioms.web.tests.factories import make_account, make_user

FIXTURE = Path(__file__).parents[2] / "channels" / "tests" / "fixtures" / "csv" / "shop_cn_fen.csv"
SAMPLE = FIXTURE.read_bytes()


@pytest.fixture(autouse=True)
def _english() -> Any:
    with translation.override("en"):
        yield


@pytest.fixture
def sheet(db: None) -> ChannelAccount:
    return make_account("shop-sheet", platform="csv", display_name="Shop sheet")


@pytest.fixture
def login(client: Client, db: None) -> Callable[[str], User]:
    def login_as(role: str) -> User:
        user = make_user(f"{role}-{User.objects.count() + 1}", role)
        client.force_login(user)
        return user

    return login_as


def url(account: ChannelAccount) -> str:
    return reverse("channels:column_mapping", args=[account.name])


def upload(
    client: Client, account: ChannelAccount, raw: bytes = SAMPLE, name: str = "s.csv"
) -> Any:
    return client.post(url(account), {"action": "upload", "file": SimpleUploadedFile(name, raw)})


def mapping_post(action: str, **changes: str) -> dict[str, str]:
    """The form as a person fills it for the Chinese fixture (the CN_MAPPING of the adapter
    tests), with ``changes`` on top."""
    data = {column_field(target): name for target, name in CN_MAPPING["columns"].items()}
    data.update(
        money_unit="minor",
        date_format="auto",
        time_zone="",
        currency="",
        default_status="paid",
        order_values="first",
        action=action,
    )
    data.update({status_field(raw): status for raw, status in CN_MAPPING["status_map"].items()})
    data.update(changes)
    return data


@pytest.mark.django_db
def test_a_manager_uploads_a_sample_and_sees_its_columns_and_first_rows(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)

    response = upload(client, sheet)
    page = client.get(url(sheet)).content.decode()

    assert response.status_code == 302
    assert response["Location"] == url(sheet)
    assert "Using s.csv: 17 columns, 5 rows." in page
    assert '<th scope="col">订单编号</th>' in page
    assert "帆布袋 颜色:黑色;尺码:L" in page
    assert f'name="{column_field("order_id")}"' in page
    assert "No mapping is saved yet" in page


@pytest.mark.django_db
def test_an_unreadable_sample_is_refused_with_the_reason(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)

    response = upload(client, sheet, b"PK\x03\x04 not a workbook", "orders.xlsx")

    assert response.status_code == 200
    page = response.content.decode()
    assert "This file cannot be read: orders.xlsx: is not a readable XLSX workbook" in page
    assert column_field("order_id") not in page


@pytest.mark.django_db
def test_the_preview_shows_the_orders_and_the_rows_that_would_fail(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)

    response = client.post(url(sheet), mapping_post("preview"))

    page = response.content.decode()
    assert response.status_code == 200
    assert '<strong id="preview-order-count">2</strong>' in page
    assert '<strong id="preview-failure-count">1</strong>' in page
    assert "row 5: 数量: &#x27;两&#x27; is not a number" in page
    assert "DD20240305001" in page
    assert "DD20240305002" in page
    assert "¥335.70" in page
    sheet.refresh_from_db()
    assert sheet.options == {}  # a preview saves nothing


@pytest.mark.django_db
def test_a_mapping_without_an_order_id_is_explained_and_not_previewed(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)

    response = client.post(url(sheet), mapping_post("save", **{column_field("order_id"): ""}))

    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose the column that holds the order id." in page
    assert 'id="preview"' not in page
    sheet.refresh_from_db()
    assert sheet.options == {}


@pytest.mark.django_db
def test_a_bad_time_zone_is_explained(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)

    response = client.post(url(sheet), mapping_post("preview", time_zone="Mars/Base"))

    assert response.status_code == 400
    assert "Mars/Base is not a known time zone." in response.content.decode()


@pytest.mark.django_db
def test_saving_keeps_the_accounts_other_options_and_the_mapping_reads_back(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    sheet.options = {"health": {"silence_after_hours": 48}}
    sheet.save()
    login(Role.MANAGER)
    upload(client, sheet)

    response = client.post(url(sheet), mapping_post("save"), follow=True)

    sheet.refresh_from_db()
    assert sheet.options["health"] == {"silence_after_hours": 48}
    assert sheet.options["column_mapping"] == {
        "columns": CN_MAPPING["columns"],
        "money_unit": "minor",
        "date_format": "auto",
        "time_zone": "",
        "currency": "",
        "status_map": CN_MAPPING["status_map"],
        "default_status": "paid",
        "order_values": "first",
        "taxes_included": False,
    }
    page = response.content.decode()
    assert "Column mapping saved for Shop sheet." in page
    assert "A mapping of 19 columns is saved." in page
    # The page previews the saved mapping on the sample at once, with its choices filled in.
    assert '<strong id="preview-order-count">2</strong>' in page
    assert '<option value="订单编号" selected>订单编号</option>' in page


@pytest.mark.django_db
def test_choosing_a_status_column_lists_its_values_to_map(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)

    before = client.get(url(sheet)).content.decode()
    response = client.post(
        url(sheet),
        {
            "action": "refresh",
            column_field("status"): "订单状态",
            column_field("order_id"): "订单编号",
        },
        headers={"HX-Request": "true"},
    )

    page = response.content.decode()
    assert status_field("已发货") not in before
    assert response.status_code == 200
    for value in ("已付款", "待付款", "已发货"):
        assert f'name="{status_field(value)}"' in page
    assert '<option value="订单编号" selected>订单编号</option>' in page
    assert "field-error" not in page  # a refresh judges nothing yet


@pytest.mark.django_db
def test_importing_the_accounts_files_uses_the_saved_mapping(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)
    client.post(url(sheet), mapping_post("save"))
    sheet.refresh_from_db()

    summary = import_file(sheet, raw=SAMPLE, filename="day1.csv", actor=Actor.system("tests"))

    assert (summary.created, summary.dead_lettered) == (2, 1)
    assert summary.problems == ["row 5: 数量: '两' is not a number"]
    order = Order.objects.get(account=sheet, external_id="DD20240305001")
    assert (order.total, order.shipping, order.status) == (Decimal("335.70"), Decimal(8), "paid")
    assert order.lines.count() == 3


@pytest.mark.django_db
def test_the_import_form_on_the_page_imports_with_the_mapping(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    sheet.options = {"column_mapping": CN_MAPPING}
    sheet.save()
    login(Role.MANAGER)

    response = client.post(
        reverse("channels:import_file", args=[sheet.name]),
        {"file": SimpleUploadedFile("day1.csv", SAMPLE)},
        follow=True,
    )

    page = response.content.decode()
    assert "day1.csv imported: 2 created, 0 updated, 0 unchanged, 1 could not be read." in page
    assert "row 5: 数量: &#x27;两&#x27; is not a number" in page
    assert Order.objects.filter(account=sheet).count() == 2


@pytest.mark.django_db
def test_a_file_imported_before_any_mapping_is_dead_lettered_and_replays_after_saving(
    sheet: ChannelAccount,
) -> None:
    summary = import_file(sheet, raw=SAMPLE, filename="early.csv", actor=Actor.system("tests"))
    letter = DeadLetter.objects.get(account=sheet)
    assert summary.created == 0
    assert "no column mapping is set for this account" in letter.reason

    sheet.options = {"column_mapping": CN_MAPPING}
    sheet.save()
    replay_dead_letter(letter.pk, actor=Actor.system("tests"))

    letter.refresh_from_db()
    assert letter.resolved_at is not None
    assert set(Order.objects.filter(account=sheet).values_list("external_id", flat=True)) == {
        "DD20240305001",
        "DD20240305002",
    }


@pytest.mark.django_db
def test_a_spreadsheet_sent_to_the_webhook_is_read_with_the_mapping(
    sheet: ChannelAccount,
) -> None:
    sheet.options = {"column_mapping": CN_MAPPING}
    sheet.save()
    from omnioms.channels.adapters.base import GENERIC_SIGNATURE_HEADER, hmac_sha256_base64
    from omnioms.web.tests.factories import SECRET

    receive_webhook(
        sheet,
        body=SAMPLE,
        headers={GENERIC_SIGNATURE_HEADER: hmac_sha256_base64(SECRET, SAMPLE)},
    )

    assert Order.objects.filter(account=sheet).count() == 2
    assert "row 5: 数量: '两' is not a number" in DeadLetter.objects.get(account=sheet).reason


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.ORDER_CLERK, Role.SUPERVISOR, Role.STORE_CLERK])
def test_other_roles_may_not_open_or_change_the_mapping(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User], role: str
) -> None:
    login(role)

    assert client.get(url(sheet)).status_code == 403
    assert upload(client, sheet).status_code == 403
    assert client.post(url(sheet), mapping_post("save")).status_code == 403
    sheet.refresh_from_db()
    assert sheet.options == {}


@pytest.mark.django_db
def test_a_store_clerk_may_not_import_through_the_page(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    sheet.options = {"column_mapping": CN_MAPPING}
    sheet.save()
    login(Role.CUSTOMER_SERVICE)

    response = client.post(
        reverse("channels:import_file", args=[sheet.name]),
        {"file": SimpleUploadedFile("day1.csv", SAMPLE)},
    )

    assert response.status_code == 403
    assert not Order.objects.exists()


@pytest.mark.django_db
def test_an_administrator_may_map_and_an_anonymous_visitor_must_log_in(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    anonymous = client.get(url(sheet))
    login(Role.ADMINISTRATOR)

    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("web:login"))
    assert client.get(url(sheet)).status_code == 200


@pytest.mark.django_db
def test_only_spreadsheet_accounts_have_a_mapping_page(
    client: Client, login: Callable[[str], User]
) -> None:
    shopify = make_account("webshop", platform="shopify")
    login(Role.MANAGER)

    assert client.get(url(shopify)).status_code == 404
    assert client.get(reverse("channels:column_mapping", args=["nope"])).status_code == 404


@pytest.mark.django_db
def test_forgetting_the_sample_returns_to_the_upload_step(
    client: Client, sheet: ChannelAccount, login: Callable[[str], User]
) -> None:
    login(Role.MANAGER)
    upload(client, sheet)

    client.post(url(sheet), {"action": "discard"})

    page = client.get(url(sheet)).content.decode()
    assert column_field("order_id") not in page
    assert 'name="file"' in page
