"""Scenario files: the shipped ones load; anything wrong is refused naming the key's path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from omnioms.simulation.scenario import (
    PRESETS,
    ScenarioError,
    load_scenario,
    parse_scenario,
    shipped_names,
)


def demo_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((PRESETS / "demo.yaml").read_text())
    return data


def problems_of(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data, source="test.yaml")
    return dict(caught.value.problems)


def test_the_three_shipped_scenarios_load_by_name() -> None:
    assert {"demo", "electronics", "cosmetics"} <= set(shipped_names())
    demo = load_scenario("demo")
    assert [wc.code for wc in demo.work_centers] == ["CUT", "SEW", "PRESS", "PACK"]
    assert load_scenario("cosmetics").festivals


def test_a_file_path_loads_as_well_as_a_name(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    data = demo_data()
    data["name"] = "mine"
    path.write_text(yaml.safe_dump(data))
    assert load_scenario(path).name == "mine"


def test_an_unknown_scenario_names_the_shipped_ones() -> None:
    with pytest.raises(ScenarioError, match="demo"):
        load_scenario("no-such-scenario")


def test_a_wrong_value_is_named_by_its_key_path() -> None:
    data = demo_data()
    data["work_centers"][1]["machines"] = 0
    data["products"][2]["demand"]["base"] = "lots"
    problems = problems_of(data)
    assert "greater than or equal to 1" in problems["work_centers[1].machines"]
    assert "products[2].demand.base" in problems


def test_a_misspelt_key_is_an_error_not_ignored() -> None:
    data = demo_data()
    data["channels"][0]["promise_day"] = 2
    assert "channels[0].promise_day" in problems_of(data)


def test_a_reference_to_nothing_names_where_it_is() -> None:
    data = demo_data()
    data["products"][1]["routing"][0]["work_center"] = "WELD"
    data["materials"][0]["supplier"] = "NOBODY"
    problems = problems_of(data)
    assert problems["products[1].routing[0].work_center"] == "no work centre 'WELD'"
    assert problems["materials[0].supplier"] == "no supplier 'NOBODY'"


def test_shares_that_do_not_add_up_are_refused_with_their_key() -> None:
    data = demo_data()
    data["channels"][0]["tiers"][0]["share"] = 0.5
    problems = problems_of(data)
    assert problems["channels[0].tiers"].startswith("the shares add up to")
    data = demo_data()
    data["channels"][0]["share"] = 0.9
    assert "channels" in problems_of(data)


def test_a_file_that_is_not_yaml_says_so(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problems[0][0] == "(yaml)"


def test_a_mapping_is_required_at_the_top() -> None:
    with pytest.raises(ScenarioError, match="mapping"):
        parse_scenario(["not", "a", "mapping"])
