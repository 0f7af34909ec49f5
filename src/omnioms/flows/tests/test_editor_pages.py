"""The flow editor's pages: tables and diagram from the data, checked before saving, the
sandbox walk, and publishing with the open orders' mapping confirmed."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from omnioms.core.roles import Role
from omnioms.flows.editor import rows
from omnioms.flows.models import VersionState
from omnioms.flows.presets import preset
from omnioms.flows.selectors import flow_of
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.orders.models import Order
from omnioms.testing import make_user

pytestmark = pytest.mark.django_db


def _form(data: dict[str, Any]) -> dict[str, str]:
    """What the editor page posts for ``data`` (as a browser sends its table)."""
    table = rows(data)
    form = {
        "name": table["name"],
        "initial": table["initial"],
        "stage-count": str(len(table["stages"])),
        "t-count": str(len(table["transitions"])),
    }
    for i, s in enumerate(table["stages"]):
        form.update({f"stage-{i}-key": s["key"], f"stage-{i}-label": s["label"]})
        form[f"stage-{i}-status"] = s["status"]
        if s["final"]:
            form[f"stage-{i}-final"] = "on"
    for r in table["channel"]:
        for key in ("stage", "conflict_in", "ignore_in"):
            form[f"channel-{r['status']}-{key}"] = r[key]
    for i, t in enumerate(table["transitions"]):
        for key in ("action", "label", "from", "to", "partial_to", "operation", "roles"):
            form[f"t-{i}-{key}"] = t[key]
        for key in ("guards", "fields", "effects"):
            form[f"t-{i}-{key}"] = t[key]
        if t["self_approval"]:
            form[f"t-{i}-self_approval"] = "on"
    return form


def test_a_manager_sees_every_account_s_flow_and_opens_its_tables_and_diagram(
    client: Client,
) -> None:
    shop = account("tmall", platform="taobao")
    client.force_login(make_user(Role.MANAGER))

    listing = client.get(reverse("flows:list")).content.decode()
    page = client.get(reverse("flows:edit", args=[shop.pk])).content.decode()

    assert "tmall" in listing
    assert "Marketplace" in listing
    assert 'name="stage-0-key" value="draft"' in page
    assert 'id="flow-diagram-data"' in page
    assert "vendor/cytoscape/cytoscape.min.js" in page


def test_a_clerk_may_not_open_the_flow_editor(client: Client) -> None:
    client.force_login(make_user(Role.ORDER_CLERK))

    assert client.get(reverse("flows:list")).status_code == 403


def test_saving_a_flow_with_a_dead_end_is_refused_and_nothing_is_kept(client: Client) -> None:
    shop = account("tmall", platform="taobao")
    client.force_login(make_user(Role.MANAGER))
    form = _form(preset("marketplace"))
    form["stage-10-key"], form["stage-10-label"], form["stage-10-status"] = "limbo", "Limbo", "paid"

    response = client.post(reverse("flows:edit", args=[shop.pk]), {**form, "do": "save"})

    assert response.status_code == 400
    assert "&#x27;limbo&#x27; is unreachable" in response.content.decode()
    assert flow_of(shop).account_id is None  # still the platform's default


def test_a_saved_draft_is_published_with_open_orders_moved_as_confirmed(client: Client) -> None:
    shop = account("tmall", platform="taobao")
    order = submit(shop, order_json("E-1"))
    Order.objects.filter(pk=order.pk).update(stage="picked")
    client.force_login(make_user(Role.MANAGER))
    form = _form(preset("marketplace"))
    form["stage-3-key"] = "packed"  # "picked" renamed
    for i in range(20):
        for key in ("from", "to"):
            if form.get(f"t-{i}-{key}", "") == "picked":
                form[f"t-{i}-{key}"] = "packed"
        if "picked" in form.get(f"t-{i}-from", ""):
            form[f"t-{i}-from"] = form[f"t-{i}-from"].replace("picked", "packed")
    for status in ("paid", "pending_payment", "draft"):
        form[f"channel-{status}-ignore_in"] = form[f"channel-{status}-ignore_in"].replace(
            "picked", "packed"
        )

    saved = client.post(reverse("flows:edit", args=[shop.pk]), {**form, "do": "save"})
    assert saved.status_code == 302, saved.content.decode()[-3000:]
    plan = client.get(reverse("flows:publish", args=[shop.pk])).content.decode()
    assert 'name="map-picked"' in plan
    published = client.post(reverse("flows:publish", args=[shop.pk]), {"map-picked": "packed"})

    assert published.status_code == 302
    flow = flow_of(shop)
    assert flow.current is not None
    assert flow.current.state == VersionState.PUBLISHED
    order.refresh_from_db()
    assert (order.stage, order.flow_version_id) == ("packed", flow.current.pk)


def test_the_sandbox_walks_a_sample_order_step_by_step(client: Client) -> None:
    wechat = account("wechat", platform="manual")
    client.force_login(make_user(Role.MANAGER))
    url = reverse("flows:sandbox", args=[wechat.pk])

    page = client.get(url, {"steps": "send_quote,request_approval"}).content.decode()

    assert 'data-stage="awaiting_approval"' in page
    assert 'data-action="approve"' in page
    assert "not by its requester" in page
