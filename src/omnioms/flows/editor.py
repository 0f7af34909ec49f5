"""The flow editor's tables as data: a definition to table rows and back, the diagram's
elements, and the sandbox's walk of a sample order. Pure: no ORM, no requests."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnioms.core.choices import OrderStatus
from omnioms.flows.definition import Definition, Discounts

BLANK_ROWS = 2
"""Empty rows under each table, to add a stage or an action."""


def _names(raw: str) -> list[str]:
    return [part.strip() for part in raw.replace("\n", ",").split(",") if part.strip()]


def _joined(values: Any) -> str:
    return ", ".join(values or ())


def rows(definition: Mapping[str, Any]) -> dict[str, Any]:
    """The table rows of a definition (JSON), with blank rows to add to."""
    stages = [
        {
            "key": s.get("key", ""),
            "label": s.get("label", ""),
            "status": s.get("status", ""),
            "final": bool(s.get("final")),
        }
        for s in definition.get("stages", [])
    ]
    stages += [{"key": "", "label": "", "status": "", "final": False}] * BLANK_ROWS
    by_status = {rule.get("status"): rule for rule in definition.get("channel", [])}
    channel = [
        {
            "status": status.value,
            "label": status.label,
            "stage": by_status.get(status.value, {}).get("stage", ""),
            "conflict_in": _joined(by_status.get(status.value, {}).get("conflict_in")),
            "ignore_in": _joined(by_status.get(status.value, {}).get("ignore_in")),
        }
        for status in OrderStatus
    ]
    transitions = [
        {
            "action": t.get("action", ""),
            "label": t.get("label", ""),
            "from": _joined(t.get("from")),
            "to": t.get("to") or "",
            "partial_to": t.get("partial_to") or "",
            "operation": t.get("operation", "move"),
            "roles": _joined(t.get("roles")),
            "self_approval": t.get("self_approval", True),
            "guards": _joined(t.get("guards")),
            "fields": _joined(t.get("fields")),
            "effects": _joined(t.get("effects")),
        }
        for t in definition.get("transitions", [])
    ]
    blank_transition = {
        "action": "",
        "label": "",
        "from": "",
        "to": "",
        "partial_to": "",
        "operation": "move",
        "roles": "",
        "self_approval": True,
        "guards": "",
        "fields": "",
        "effects": "",
    }
    transitions += [blank_transition] * BLANK_ROWS
    discounts = definition.get("discounts") or {}
    defaults = Discounts()
    return {
        "name": definition.get("name", ""),
        "initial": definition.get("initial", ""),
        "stages": stages,
        "channel": channel,
        "transitions": transitions,
        "discounts": {
            "maximum": discounts.get("maximum", defaults.maximum),
            "without_approval": discounts.get("without_approval", defaults.without_approval),
            "by_role": ", ".join(
                f"{role}={percent}" for role, percent in (discounts.get("by_role") or {}).items()
            ),
            "self_approval": bool(discounts.get("self_approval", defaults.self_approval)),
        },
    }


def _discounts(form: Mapping[str, str]) -> dict[str, Any]:
    """The discount limits as typed; what is not a number is passed on for the definition's
    check to name (``discounts.maximum``: not a valid decimal)."""
    discounts: dict[str, Any] = {}
    for key in ("maximum", "without_approval"):
        value = form.get(f"discounts-{key}", "").strip()
        if value:
            discounts[key] = value
    by_role: dict[str, str] = {}
    for part in _names(form.get("discounts-by_role", "")):
        role, _sep, percent = part.partition("=")
        by_role[role.strip()] = percent.strip()
    if by_role:
        discounts["by_role"] = by_role
    if form.get("discounts-self_approval"):
        discounts["self_approval"] = True
    defaults = Discounts()
    if (
        not by_role
        and not discounts.get("self_approval")
        and all(discounts.get(key) in (None, str(getattr(defaults, key))) for key in KEYS)
    ):
        return {}  # the defaults: the flow has no limits of its own, as before
    return discounts


KEYS = ("maximum", "without_approval")


def from_form(form: Mapping[str, str]) -> dict[str, Any]:
    """A definition (JSON, not yet checked) from the editor's posted tables. Rows with no key
    (stages) or no action (transitions) are left out: that is how a row is removed."""
    stages = []
    for i in range(_count(form, "stage")):
        key = form.get(f"stage-{i}-key", "").strip()
        if not key:
            continue
        stage: dict[str, Any] = {
            "key": key,
            "label": form.get(f"stage-{i}-label", "").strip() or key,
            "status": form.get(f"stage-{i}-status", ""),
        }
        if form.get(f"stage-{i}-final"):
            stage["final"] = True
        stages.append(stage)
    channel = []
    for status in OrderStatus:
        target = form.get(f"channel-{status.value}-stage", "").strip()
        if not target:
            continue
        rule: dict[str, Any] = {"status": status.value, "stage": target}
        for key in ("conflict_in", "ignore_in"):
            names = _names(form.get(f"channel-{status.value}-{key}", ""))
            if names:
                rule[key] = names
        channel.append(rule)
    transitions = []
    for i in range(_count(form, "t")):
        action = form.get(f"t-{i}-action", "").strip()
        if not action:
            continue
        t: dict[str, Any] = {
            "action": action,
            "label": form.get(f"t-{i}-label", "").strip() or action,
            "from": _names(form.get(f"t-{i}-from", "")),
            "operation": form.get(f"t-{i}-operation", "move") or "move",
        }
        for key in ("to", "partial_to"):
            value = form.get(f"t-{i}-{key}", "").strip()
            if value:
                t[key] = value
        for key in ("roles", "guards", "fields", "effects"):
            names = _names(form.get(f"t-{i}-{key}", ""))
            if names:
                t[key] = names
        if not form.get(f"t-{i}-self_approval"):
            t["self_approval"] = False
        transitions.append(t)
    return {
        "format": "omnioms-flow/1",
        "name": form.get("name", "").strip(),
        "initial": form.get("initial", "").strip(),
        "stages": stages,
        "channel": channel,
        "transitions": transitions,
        **({"discounts": discounts} if (discounts := _discounts(form)) else {}),
    }


def _count(form: Mapping[str, str], prefix: str) -> int:
    try:
        return min(500, max(0, int(form.get(f"{prefix}-count", "0"))))
    except ValueError:
        return 0


def diagram(definition: Mapping[str, Any]) -> dict[str, Any]:
    """Nodes and edges for the diagram (cytoscape's element format), from the JSON as it is
    (a draft that does not validate is drawn too: its problems are listed beside it)."""
    keys = {s.get("key") for s in definition.get("stages", [])}
    nodes = [
        {
            "data": {
                "id": s.get("key"),
                "label": f"{s.get('label')}\n({s.get('status')})",
                "final": bool(s.get("final")),
                "initial": s.get("key") == definition.get("initial"),
            }
        }
        for s in definition.get("stages", [])
    ]
    edges = []
    for t in definition.get("transitions", []):
        for source in t.get("from", []):
            for kind, target in (("to", t.get("to")), ("partial", t.get("partial_to"))):
                if target and source in keys and target in keys and source != target:
                    edges.append(
                        {
                            "data": {
                                "id": f"{t.get('action')}:{source}:{target}",
                                "source": source,
                                "target": target,
                                "label": t.get("label", t.get("action")),
                                "kind": kind,
                            }
                        }
                    )
    return {"nodes": nodes, "edges": edges}


@dataclass
class Walk:
    """A sample order walked through a flow: the stages it passed, and what it may do next."""

    path: list[tuple[str, str]] = field(default_factory=list)
    """(action taken, stage reached); the first has no action."""
    stage: str = ""
    status: str = ""
    final: bool = False
    next: list[dict[str, Any]] = field(default_factory=list)
    """The actions of the stage: action, label, to, roles, guards, fields."""
    error: str = ""


def walk(definition: Definition, start: str, steps: list[str]) -> Walk:
    """Start where an order the channel reports as ``start`` (a status) would, then take
    ``steps`` in turn. Guards are listed, not checked: the sample order meets them all."""
    result = Walk()
    stage = definition.stage_for_status(start) if start else definition.initial
    if stage is None:
        result.error = f"no stage for the status {start!r}"
        return result
    result.path.append(("", stage))
    for action in steps:
        t = definition.transition(action)
        if t is None or stage not in t.sources:
            result.error = f"{action!r} cannot be taken at {stage!r}"
            break
        stage = t.to or stage
        result.path.append((action, stage))
    here = definition.stage(stage)
    result.stage = stage
    result.status = str(here.status) if here else ""
    result.final = bool(here and here.final)
    result.next = [
        {
            "action": t.action,
            "label": t.label,
            "to": t.to or stage,
            "partial_to": t.partial_to or "",
            "roles": list(t.roles),
            "guards": list(t.guards),
            "fields": list(t.fields),
            "effects": list(t.effects),
            "self_approval": t.self_approval,
        }
        for t in definition.from_stage(stage)
    ]
    return result
