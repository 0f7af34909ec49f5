"""Changing a flow: validation before saving, publishing with open orders moved by the
confirmed mapping (closed orders keep their version), and the export/import commands."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from omnioms.cli import main
from omnioms.core.actor import Actor
from omnioms.flows.definition import parse
from omnioms.flows.models import VersionState
from omnioms.flows.presets import preset
from omnioms.flows.publishing import DefinitionInvalid, own_flow, publish, save_draft
from omnioms.flows.selectors import flow_of
from omnioms.inventory.tests.factories import account, order_json, submit
from omnioms.orders.models import Order, OrderEventKind

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("tests")


def _with_packing(data: dict[str, Any]) -> dict[str, Any]:
    """The marketplace preset with "picked" renamed "packed"."""
    new = copy.deepcopy(data)
    for stage in new["stages"]:
        if stage["key"] == "picked":
            stage["key"], stage["label"] = "packed", "Packed"
    for t in new["transitions"]:
        t["from"] = ["packed" if s == "picked" else s for s in t["from"]]
        if t.get("to") == "picked":
            t["to"] = "packed"
    for rule in new["channel"]:
        for key in ("conflict_in", "ignore_in"):
            if key in rule:
                rule[key] = ["packed" if s == "picked" else s for s in rule[key]]
    return new


def test_a_flow_with_an_unreachable_stage_or_a_dead_end_is_not_saved() -> None:
    data = preset("marketplace")
    data["stages"].append({"key": "limbo", "label": "Limbo", "status": "paid"})

    definition, found = parse(data)

    assert definition is not None
    messages = [str(p) for p in found]
    assert any("'limbo' is unreachable" in m for m in messages)
    assert any("'limbo' is not final and no action leads out of it" in m for m in messages)
    shop = account("tmall", platform="taobao")
    with pytest.raises(DefinitionInvalid):
        save_draft(own_flow(shop), data)


def test_every_unified_status_needs_a_stage_and_names_must_come_from_the_registries() -> None:
    data = preset("store_counter")
    data["stages"] = [s for s in data["stages"] if s["status"] != "refunded"]
    data["transitions"][0]["guards"] = ["moon_is_full"]

    _definition, found = parse(data)

    messages = [str(p) for p in found]
    assert "stages: no stage stands for the status 'refunded'" in messages
    assert any("unknown guards name 'moon_is_full'" in m for m in messages)


def test_publishing_moves_open_orders_by_the_mapping_and_closed_orders_keep_their_version() -> None:
    shop = account("tmall", platform="taobao")
    flow = own_flow(shop)
    first = flow.current
    assert first is not None
    picked = submit(shop, order_json("P-1"))
    Order.objects.filter(pk=picked.pk).update(stage="picked")
    waiting = submit(shop, order_json("P-2"))
    done = submit(shop, order_json("P-3", status="completed"))
    draft = save_draft(flow, _with_packing(first.definition))

    with pytest.raises(DefinitionInvalid, match="choose where they go"):
        publish(flow, draft, {}, actor=ACTOR)
    with pytest.raises(DefinitionInvalid, match="not a stage of the same status"):
        publish(flow, draft, {"picked": "shipped"}, actor=ACTOR)
    version, moved = publish(flow, draft, {"picked": "packed"}, actor=ACTOR)

    assert moved == 2
    assert version.state == VersionState.PUBLISHED
    first.refresh_from_db()
    assert first.state == VersionState.RETIRED
    picked.refresh_from_db()
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert (picked.stage, picked.flow_version_id) == ("packed", version.pk)
    assert (waiting.stage, waiting.flow_version_id) == ("to_pick", version.pk)
    assert (done.stage, done.flow_version_id) == ("completed", first.pk)
    assert picked.events.filter(kind=OrderEventKind.FLOW_CHANGED, data__stage_to="packed").exists()
    assert submit(shop, order_json("P-4")).flow_version_id == version.pk


def test_export_then_import_copies_a_flow_to_another_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source, target = account("tmall", platform="taobao"), account("shop2", platform="shopify")
    save_draft(own_flow(source), _with_packing(preset("marketplace")))
    flow = flow_of(source)
    draft = flow.versions.get(state=VersionState.DRAFT)
    publish(flow, draft, {}, actor=ACTOR)
    out = tmp_path / "flow.json"

    assert main(["flow", "export", "tmall", "--output", str(out)]) == 0
    assert main(["flow", "import", "shop2", str(out)]) == 0

    assert "packed" in [s["key"] for s in flow_of(target).current.definition["stages"]]  # type: ignore[union-attr]
    assert "flow version 2 published" in capsys.readouterr().out


def test_an_invalid_flow_file_is_refused_whole_naming_each_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shop = account("tmall", platform="taobao")
    before = flow_of(shop).pk
    broken = preset("marketplace")
    broken["initial"] = "nowhere"
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    (tmp_path / "junk.json").write_text("{not json")

    assert main(["flow", "import", "tmall", str(tmp_path / "broken.json")]) == 2
    assert main(["flow", "import", "tmall", str(tmp_path / "junk.json")]) == 2

    err = capsys.readouterr().err
    assert "initial: no stage 'nowhere'" in err
    assert "not a JSON file" in err
    assert "nothing changed" in err
    assert flow_of(shop).pk == before  # no flow of its own was made
