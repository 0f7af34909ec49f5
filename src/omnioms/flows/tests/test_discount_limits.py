"""Quotes' discount limits are part of the flow: checked with it, edited in the editor, carried
by its files (older files without them still import), and moved from the account options by
the migration."""

from __future__ import annotations

import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from omnioms.cli import main
from omnioms.core.roles import ROLE_PERMISSIONS, Role
from omnioms.flows.definition import Definition, Discounts, problems
from omnioms.flows.presets import preset
from omnioms.flows.selectors import current_version, discount_limits, flow_of
from omnioms.flows.tests.test_editor_pages import _form
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.orders.models import Order
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _problems(discounts: dict[str, object]) -> list[str]:
    data = {**preset("social_selling"), "discounts": discounts}
    definition = Definition.model_validate(data)
    return [str(p) for p in problems(definition, roles=ROLE_PERMISSIONS)]


def test_limits_are_checked_with_the_flow() -> None:
    assert _problems({"maximum": 30, "without_approval": 10, "by_role": {"manager": 20}}) == []
    found = _problems({"maximum": 20, "without_approval": 25, "by_role": {"boss": 5}})
    assert "discounts.without_approval: 25% without approval is more than the maximum 20%" in found
    assert "discounts.by_role.boss: unknown role 'boss'" in found
    assert any(
        "by_role.manager" in p for p in _problems({"maximum": 10, "by_role": {"manager": 12}})
    )


def test_a_person_with_several_roles_gets_the_largest_and_others_the_default() -> None:
    limits = Discounts(without_approval=Decimal(4), by_role={"manager": Decimal(15)})
    assert limits.without_approval_for(["order_clerk", "manager"]) == 15
    assert limits.without_approval_for(["order_clerk"]) == 4


def test_an_older_file_without_limits_imports_and_the_defaults_apply(tmp_path: Path) -> None:
    shop = account("wechat", platform="manual")
    older = preset("social_selling")
    assert "discounts" not in older
    (tmp_path / "old.json").write_text(json.dumps(older))

    assert main(["flow", "import", "wechat", str(tmp_path / "old.json")]) == 0

    assert "discounts" not in current_version(shop).definition
    assert discount_limits(shop) == Discounts()


def test_limits_travel_with_the_flow_file(tmp_path: Path) -> None:
    source, target = account("wechat", platform="manual"), account("douyin", platform="manual")
    data = {**preset("social_selling"), "discounts": {"maximum": 40, "by_role": {"manager": 25}}}
    (tmp_path / "in.json").write_text(json.dumps(data))
    assert main(["flow", "import", "wechat", str(tmp_path / "in.json")]) == 0
    assert main(["flow", "export", "wechat", "--output", str(tmp_path / "out.json")]) == 0

    exported = json.loads((tmp_path / "out.json").read_text())
    assert exported["discounts"]["maximum"] == "40"
    assert main(["flow", "import", "douyin", str(tmp_path / "out.json")]) == 0
    assert discount_limits(target).by_role == {"manager": Decimal(25)}
    assert discount_limits(source).maximum == 40


def test_a_file_with_a_bad_limit_is_refused_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = account("wechat", platform="manual")
    data = {**preset("social_selling"), "discounts": {"maximum": 150}}
    (tmp_path / "bad.json").write_text(json.dumps(data))

    assert main(["flow", "import", "wechat", str(tmp_path / "bad.json")]) == 2

    assert "discounts.maximum" in capsys.readouterr().err
    assert flow_of(shop).account_id is None  # nothing changed


def test_the_editor_saves_the_limits_and_names_a_bad_one(client: Client) -> None:
    shop = account("wechat", platform="manual")
    client.force_login(make_user(Role.MANAGER))
    form = _form(preset("social_selling"))
    page = client.get(reverse("flows:edit", args=[shop.pk])).content.decode()
    assert 'name="discounts-maximum" value="30"' in page

    bad = {**form, "discounts-maximum": "20", "discounts-by_role": "manager=25", "do": "save"}
    response = client.post(reverse("flows:edit", args=[shop.pk]), bad)
    assert response.status_code == 400
    assert "25% without approval is more than the maximum 20%" in response.content.decode()

    good = {
        **form,
        "discounts-maximum": "35",
        "discounts-without_approval": "5",
        "discounts-by_role": "manager=20, order_clerk=8",
        "discounts-self_approval": "1",
        "do": "save",
    }
    assert client.post(reverse("flows:edit", args=[shop.pk]), good).status_code in (200, 302)
    draft = flow_of(shop).versions.get(state="draft")
    assert draft.definition["discounts"] == {
        "maximum": "35",
        "without_approval": "5",
        "by_role": {"manager": "20", "order_clerk": "8"},
        "self_approval": True,
    }


def test_the_migration_moves_account_options_into_the_accounts_flow() -> None:
    migration = importlib.import_module(
        "omnioms.flows.migrations.0003_discount_limits_from_account_options"
    )
    shop = account("wechat", platform="manual")
    shop.options = {"sales": {"discount_limit": 25, "approval_above": 5, "other": 1}, "x": 2}
    shop.save()
    plain = account("plain", platform="manual")
    order = submit(shop, order_json("Q-1", [("TEE", 1)]))
    assert flow_of(shop).account_id is None

    migration.forwards(apps, None)

    shop.refresh_from_db()
    assert shop.options == {"sales": {"other": 1}, "x": 2}
    own = flow_of(shop)
    assert own.account_id == shop.pk
    limits = discount_limits(shop)
    assert (limits.maximum, limits.without_approval, limits.self_approval) == (25, 5, False)
    assert Order.objects.get(pk=order.pk).flow_version_id == own.current_id
    assert flow_of(plain).account_id is None  # an account without limits keeps the default

    migration.backwards(apps, None)
    shop.refresh_from_db()
    assert shop.options["sales"] == {"other": 1, "discount_limit": "25", "approval_above": "5"}
