"""The flow definition and the editor's tables, without a database: the presets are valid,
the tables give back the definition they were made from, and the sandbox walks it."""

from __future__ import annotations

from typing import Any

import pytest

from omnioms.flows.definition import Definition, parse
from omnioms.flows.editor import diagram, from_form, rows, walk
from omnioms.flows.presets import PRESET_OF_PLATFORM, PRESETS, preset, preset_for


@pytest.mark.parametrize("name", PRESETS)
def test_every_preset_is_a_flow_that_can_run(name: str) -> None:
    definition, found = parse(preset(name))

    assert definition is not None
    assert found == []


def test_each_platform_starts_with_the_preset_that_fits_it() -> None:
    assert preset_for("taobao") == "marketplace"
    assert preset_for("pos_csv") == "store_counter"
    assert preset_for("wechat_channels") == "social_selling"
    assert set(PRESET_OF_PLATFORM.values()) <= set(PRESETS)


def _posted(data: dict[str, Any]) -> dict[str, str]:
    table = rows(data)
    form = {
        "name": table["name"],
        "initial": table["initial"],
        "stage-count": str(len(table["stages"])),
        "t-count": str(len(table["transitions"])),
    }
    for i, s in enumerate(table["stages"]):
        form |= {f"stage-{i}-key": s["key"], f"stage-{i}-label": s["label"]}
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


@pytest.mark.parametrize("name", PRESETS)
def test_the_editor_s_tables_give_back_the_flow_they_show(name: str) -> None:
    original = Definition.model_validate(preset(name))

    again = Definition.model_validate(from_form(_posted(preset(name))))

    assert again == original


def test_the_diagram_has_a_node_per_stage_and_an_edge_per_move() -> None:
    drawn = diagram(preset("social_selling"))

    assert len(drawn["nodes"]) == 10
    ids = {edge["data"]["id"] for edge in drawn["edges"]}
    assert "approve:awaiting_approval:quote_sent" in ids
    assert "ship:paid:partially_shipped" in ids


def test_the_sandbox_walks_along_actions_and_stops_at_one_the_stage_lacks() -> None:
    definition = Definition.model_validate(preset("social_selling"))

    walked = walk(definition, "", ["send_quote", "accept", "take_payment"])
    stuck = walk(definition, "", ["take_payment"])

    assert [stage for _action, stage in walked.path] == [
        "inquiry",
        "quote_sent",
        "accepted",
        "paid",
    ]
    assert walked.status == "paid"
    assert "ship" in [n["action"] for n in walked.next]
    assert stuck.error == "'take_payment' cannot be taken at 'inquiry'"
