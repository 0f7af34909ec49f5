"""Changing a flow: a draft checked before it is saved, published with the open orders moved
by a mapping the manager confirms, exported and imported as files.

Published versions never change. Publishing makes the draft the flow's current version; open
orders (in a stage that is not final) of the version it replaces move to it, each to the stage
the mapping names (a stage of the same key by default); closed orders keep the version they
ran under. A mapped stage must stand for the same unified status, so publishing moves no
order's status and no stock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from omnioms.channels.models import ChannelAccount
from omnioms.core.actor import Actor
from omnioms.core.roles import ROLE_PERMISSIONS
from omnioms.flows.definition import Definition, Problem, parse, problems
from omnioms.flows.models import Flow, FlowVersion, VersionState
from omnioms.flows.selectors import definition_of, flow_of
from omnioms.orders.models import Order
from omnioms.orders.moves import move_orders_to_version

MAX_FILE_BYTES = 1_000_000


class DefinitionInvalid(ValueError):
    def __init__(self, found: list[Problem]) -> None:
        self.problems = found
        super().__init__("; ".join(str(p) for p in found))


def check(data: Any) -> tuple[Definition | None, list[Problem]]:
    """The definition in ``data`` and every reason it cannot be saved (roles included)."""
    definition, found = parse(data)
    if definition is not None and not found:
        found = problems(definition, roles=ROLE_PERMISSIONS)
    return definition, found


def own_flow(account: ChannelAccount) -> Flow:
    """The account's own flow, made from its platform's default the first time it is edited
    (its first version is the default's current one; orders keep the version they run under)."""
    flow = flow_of(account)
    if flow.account_id == account.pk:
        return flow
    with transaction.atomic():
        source = flow.current
        assert source is not None
        own = Flow.objects.create(name=flow.name, account=account, preset=flow.preset, platform="")
        first = FlowVersion.objects.create(
            flow=own,
            number=1,
            state=VersionState.PUBLISHED,
            definition=source.definition,
            published_at=timezone.now(),
        )
        own.current = first
        own.save(update_fields=["current"])
        # The account's open orders run under its own flow from now on.
        open_orders = _open_orders(source, definition_of(source))
        Order.objects.filter(pk__in=_ids(open_orders.filter(account=account))).update(
            flow_version=first
        )
    return own


def save_draft(flow: Flow, data: Any, *, user: Any = None) -> FlowVersion:
    """Keep ``data`` as the flow's draft (replacing an earlier draft); refused with every
    problem (:class:`DefinitionInvalid`) when it is not a flow that can run."""
    definition, found = check(data)
    if found or definition is None:
        raise DefinitionInvalid(found)
    with transaction.atomic():
        Flow.objects.select_for_update().get(pk=flow.pk)
        draft = flow.versions.filter(state=VersionState.DRAFT).first()
        if draft is None:
            number = (flow.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            draft = FlowVersion(flow=flow, number=number, state=VersionState.DRAFT)
        draft.definition = definition.as_json()
        draft.created_by = user if getattr(user, "pk", None) else None
        draft.created_at = timezone.now()
        draft.save()
    return draft


@dataclass
class Publishing:
    """What publishing ``draft`` would do: open orders per stage of the current version, the
    stages the new version lacks (each needs a mapping), and the proposed mapping."""

    current: FlowVersion
    draft: FlowVersion
    open_by_stage: dict[str, int]
    missing: list[str]
    mapping: dict[str, str]
    choices: dict[str, list[str]] = field(default_factory=dict)
    """Per stage of open orders: the new version's stages of the same status."""


def _open_orders(version: FlowVersion, definition: Definition) -> Any:
    final = [stage.key for stage in definition.stages if stage.final]
    return Order.objects.filter(flow_version=version).exclude(stage__in=final)


def _ids(queryset: Any) -> list[int]:
    return list(queryset.values_list("pk", flat=True))


def plan_publishing(flow: Flow, draft: FlowVersion) -> Publishing:
    current = flow.current
    assert current is not None
    old, new = definition_of(current), Definition.model_validate(draft.definition)
    counts = dict(
        _open_orders(current, old)
        .values_list("stage")
        .annotate(n=Count("pk"))
        .values_list("stage", "n")
    )
    mapping: dict[str, str] = {}
    choices: dict[str, list[str]] = {}
    for stage in counts:
        status = old.status_of(stage)
        choices[stage] = [s.key for s in new.stages if str(s.status) == status]
        if new.stage(stage) is not None and new.status_of(stage) == status:
            mapping[stage] = stage
    missing = [stage for stage in counts if stage not in mapping]
    return Publishing(current, draft, counts, missing, mapping, choices)


def publish(
    flow: Flow, draft: FlowVersion, mapping: dict[str, str], *, actor: Actor
) -> tuple[FlowVersion, int]:
    """Publish ``draft`` and move the current version's open orders by ``mapping`` (old stage
    -> new stage; stages kept by the new version map to themselves unless named). Refused
    (:class:`DefinitionInvalid`, nothing changed) when a stage of open orders has no mapping,
    or maps to a stage the new version lacks or of another status. Returns the version and
    how many orders moved."""
    with transaction.atomic():
        flow = (
            Flow.objects.select_for_update(of=("self",)).select_related("current").get(pk=flow.pk)
        )
        draft = FlowVersion.objects.select_for_update().get(pk=draft.pk, flow=flow)
        if draft.state != VersionState.DRAFT:
            raise DefinitionInvalid([Problem("", _("only a draft can be published"))])
        definition, found = check(draft.definition)
        if found or definition is None:
            raise DefinitionInvalid(found)
        plan = plan_publishing(flow, draft)
        full = {**plan.mapping, **{k: v for k, v in mapping.items() if k in plan.open_by_stage}}
        old = definition_of(plan.current)
        wrong: list[Problem] = []
        for stage in plan.open_by_stage:
            target = full.get(stage)
            if target is None:
                wrong.append(Problem(stage, _("open orders are here: choose where they go")))
            elif definition.status_of(target) != old.status_of(stage):
                wrong.append(
                    Problem(
                        stage,
                        _("%(target)s is not a stage of the same status") % {"target": target},
                    )
                )
        if wrong:
            raise DefinitionInvalid(wrong)
        now = timezone.now()
        draft.state = VersionState.PUBLISHED
        draft.published_at = now
        ids = _ids(_open_orders(plan.current, old))
        moved = move_orders_to_version(
            ids,
            version_id=draft.pk,
            stages=full,
            actor=actor,
            details={"version_to": draft.number, "flow": flow.name},
        )
        draft.moved = {"mapping": full, "orders": moved, "by_stage": plan.open_by_stage}
        draft.save(update_fields=["state", "published_at", "moved"])
        FlowVersion.objects.filter(pk=plan.current.pk).update(state=VersionState.RETIRED)
        flow.current = draft
        flow.save(update_fields=["current"])
    return draft, moved


def export_flow(account: ChannelAccount) -> str:
    """The account's current flow as a file (JSON)."""
    version = flow_of(account).current
    assert version is not None
    return json.dumps(version.definition, ensure_ascii=False, indent=2) + "\n"


def import_flow(
    account: ChannelAccount, text: bytes | str, *, mapping: dict[str, str], actor: Actor
) -> tuple[FlowVersion, int]:
    """Publish the flow in ``text`` as the account's new version; every problem refuses it
    whole (:class:`DefinitionInvalid`) and nothing changes."""
    if len(text) > MAX_FILE_BYTES:
        raise DefinitionInvalid([Problem("", _("the file is larger than 1 MB"))])
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DefinitionInvalid(
            [Problem("", _("not a JSON file: %(error)s") % {"error": exc})]
        ) from None
    _definition, found = check(data)
    if found:
        raise DefinitionInvalid(found)
    with transaction.atomic():
        flow = own_flow(account)
        draft = save_draft(flow, data)
        return publish(flow, draft, mapping, actor=actor)
