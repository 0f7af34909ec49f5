"""A flow as data: its stages, the channel's moves it follows, and the actions people take.

Pure: no ORM. A definition is a JSON document (the presets in ``presets/``, a version's
``definition`` column, the files of ``omnioms flow export|import``) read into the pydantic
models below; :func:`problems` says what keeps it from being published. Guards, effects,
fields and operations are names from fixed registries (:mod:`omnioms.flows.registry`),
never code: a definition only chooses among them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from omnioms.core.choices import OrderStatus
from omnioms.core.inputs import no_nul

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,49}$"
"""Stage keys and action names: what the URLs and the API's JSON carry."""

FORMAT = "omnioms-flow/1"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        return no_nul(value)


class Stage(_Strict):
    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    status: OrderStatus
    """The unified status an order in this stage has: what reports and stock rules read."""
    final: bool = False
    """The order is closed here: it needs no way out (a refund after completion may still
    leave it); every other stage does. Orders in final stages are not "open" when a new
    version is published."""


class ChannelRule(_Strict):
    """What the order's stage does when the channel reports ``status``."""

    status: OrderStatus
    stage: str = Field(pattern=KEY_PATTERN)
    """The stage the order moves to."""
    conflict_in: tuple[str, ...] = ()
    """Stages in which following would undo what staff did (the channel cancelled what staff
    shipped): the order stays, and the conflict is shown to a person."""
    ignore_in: tuple[str, ...] = ()
    """Stages already past what the channel reports (it lags behind staff): the fact is
    recorded, the stage stays."""


class Transition(_Strict):
    action: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=100)
    sources: tuple[str, ...] = Field(alias="from", min_length=1)
    """The stages it may be taken from."""
    to: str | None = Field(default=None, pattern=KEY_PATTERN)
    """The stage it moves to; none for an action that keeps the stage (a further tracking
    number, an address change) or whose operation decides (a hold's release)."""
    partial_to: str | None = Field(default=None, pattern=KEY_PATTERN)
    """For ``ship``, ``refund`` and ``return``: the stage when units are left (shipped in part)."""
    operation: str = "move"
    """What it does to the order besides its stage (:data:`registry.OPERATIONS`)."""
    roles: tuple[str, ...] = ()
    """Roles that may take it; none: everyone who may change orders."""
    self_approval: bool = True
    """False: the person who moved the order into its current stage may not take this one
    (a request and its approval by two people)."""
    guards: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def targets(self) -> list[str]:
        return [stage for stage in (self.to, self.partial_to) if stage]


class Discounts(_Strict):
    """The discount limits of quotes sold under this flow (``sales``: "within the limits the
    flow allows"). Percentages of a line's list price."""

    maximum: Decimal = Field(default=Decimal(30), ge=0, le=100, max_digits=5, decimal_places=2)
    """No line may be discounted more: a version past it is refused, whoever makes it."""
    without_approval: Decimal = Field(
        default=Decimal(10), ge=0, le=100, max_digits=5, decimal_places=2
    )
    """The most a line may be discounted without a manager's approval, for roles not named in
    ``by_role``."""
    by_role: dict[str, Decimal] = Field(default_factory=dict)
    """Role -> the most that role may give without approval (a person with several roles
    gets the largest)."""
    self_approval: bool = False
    """Whether the person who made a version may approve it."""

    @field_validator("by_role")
    @classmethod
    def _percentages(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for role, percent in value.items():
            if not percent.is_finite() or not 0 <= percent <= 100:
                raise ValueError(f"{role}: must be a percentage from 0 to 100")
        return value

    def without_approval_for(self, roles: Iterable[str]) -> Decimal:
        """The most someone with ``roles`` may give without approval."""
        named = [self.by_role[role] for role in roles if role in self.by_role]
        return max(named) if named else self.without_approval


class Definition(_Strict):
    format: str = FORMAT
    name: str = Field(min_length=1, max_length=100)
    stages: tuple[Stage, ...] = Field(min_length=1)
    initial: str = Field(pattern=KEY_PATTERN)
    """Where an order with no channel rule for its status starts (staff entry, a quote)."""
    channel: tuple[ChannelRule, ...] = ()
    transitions: tuple[Transition, ...] = ()
    discounts: Discounts | None = None
    """Quotes' discount limits; none: the defaults of :class:`Discounts` (files made before
    flows carried them import unchanged)."""

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: str) -> str:
        if value != FORMAT:
            raise ValueError(f"must be {FORMAT!r}")
        return value

    # -- reading ---------------------------------------------------------------------------

    def stage(self, key: str) -> Stage | None:
        return next((stage for stage in self.stages if stage.key == key), None)

    def status_of(self, key: str) -> str | None:
        stage = self.stage(key)
        return str(stage.status) if stage is not None else None

    def transition(self, action: str) -> Transition | None:
        return next((t for t in self.transitions if t.action == action), None)

    def from_stage(self, key: str) -> list[Transition]:
        return [t for t in self.transitions if key in t.sources]

    def channel_rule(self, status: str) -> ChannelRule | None:
        return next((rule for rule in self.channel if rule.status == status), None)

    def stage_for_status(self, status: str) -> str | None:
        """Where an order the channel (or an old path) puts in ``status`` belongs: the channel
        rule's stage, else the first stage mapped to it."""
        rule = self.channel_rule(status)
        if rule is not None:
            return rule.stage
        return next((s.key for s in self.stages if s.status == status), None)

    def discount_limits(self) -> Discounts:
        return self.discounts if self.discounts is not None else Discounts()

    def as_json(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", by_alias=True, exclude_defaults=False)
        if self.discounts is None:
            del data["discounts"]  # a flow without limits of its own reads as before
        return data


@dataclass(frozen=True)
class Problem:
    """Why a definition cannot be published; ``where`` points at the part (``stages.3``)."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def parse(data: Any) -> tuple[Definition | None, list[Problem]]:
    """The definition in ``data`` and what is wrong with it (an empty list: publishable)."""
    try:
        definition = Definition.model_validate(data)
    except ValidationError as exc:
        return None, [
            Problem(".".join(str(p) for p in error["loc"]), error["msg"]) for error in exc.errors()
        ]
    return definition, problems(definition)


def problems(
    definition: Definition,
    *,
    guards: Iterable[str] | None = None,
    effects: Iterable[str] | None = None,
    fields: Iterable[str] | None = None,
    operations: Iterable[str] | None = None,
    roles: Iterable[str] | None = None,
) -> list[Problem]:
    """Everything that keeps ``definition`` from running: unknown names, stages no order can
    reach, stages with no way out, statuses no stage stands for. The registries default to
    :mod:`omnioms.flows.registry`'s."""
    if guards is None or effects is None or fields is None or operations is None:
        from omnioms.flows import registry

        guards = registry.GUARDS.keys() if guards is None else guards
        effects = registry.EFFECTS.keys() if effects is None else effects
        fields = registry.FIELDS.keys() if fields is None else fields
        operations = registry.OPERATIONS.keys() if operations is None else operations
    known = {
        "guards": set(guards),
        "effects": set(effects),
        "fields": set(fields),
        "operation": set(operations),
    }
    found: list[Problem] = []
    keys = [stage.key for stage in definition.stages]
    stages = set(keys)
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        found.append(Problem("stages", f"stage {key!r} is defined twice"))
    actions = [t.action for t in definition.transitions]
    for action in sorted({a for a in actions if actions.count(a) > 1}):
        found.append(Problem("transitions", f"action {action!r} is defined twice"))

    def stage_ref(where: str, key: str | None) -> None:
        if key is not None and key not in stages:
            found.append(Problem(where, f"no stage {key!r}"))

    stage_ref("initial", definition.initial)
    for i, rule in enumerate(definition.channel):
        stage_ref(f"channel.{i}.stage", rule.stage)
        for key in (*rule.conflict_in, *rule.ignore_in):
            stage_ref(f"channel.{i}", key)
    for i, t in enumerate(definition.transitions):
        where = f"transitions.{i}"
        for key in t.sources:
            stage_ref(f"{where}.from", key)
        stage_ref(f"{where}.to", t.to)
        stage_ref(f"{where}.partial_to", t.partial_to)
        for kind, names in (
            ("guards", t.guards),
            ("effects", t.effects),
            ("fields", t.fields),
            ("operation", (t.operation,)),
        ):
            for name in names:
                if name not in known[kind]:
                    found.append(Problem(f"{where}.{kind}", f"unknown {kind} name {name!r}"))
        if roles is not None:
            for role in t.roles:
                if role not in set(roles):
                    found.append(Problem(f"{where}.roles", f"unknown role {role!r}"))
        if t.to is None and t.operation in KEEPS_NO_STAGE:
            found.append(Problem(f"{where}.to", f"a {t.operation} action needs a stage to go to"))
    limits = definition.discount_limits()
    if limits.without_approval > limits.maximum:
        found.append(
            Problem(
                "discounts.without_approval",
                f"{limits.without_approval}% without approval is more than the maximum "
                f"{limits.maximum}%",
            )
        )
    for role, percent in sorted(limits.by_role.items()):
        if roles is not None and role not in set(roles):
            found.append(Problem(f"discounts.by_role.{role}", f"unknown role {role!r}"))
        if percent > limits.maximum:
            found.append(
                Problem(
                    f"discounts.by_role.{role}",
                    f"{percent}% without approval is more than the maximum {limits.maximum}%",
                )
            )
    mapped = {stage.status for stage in definition.stages}
    for status in OrderStatus:
        if status not in mapped:
            found.append(Problem("stages", f"no stage stands for the status {status.value!r}"))
    if found:
        return found  # reachability means little while references are broken

    reached = _reachable(definition)
    for stage in definition.stages:
        if stage.key not in reached:
            found.append(
                Problem(f"stages.{keys.index(stage.key)}", f"{stage.key!r} is unreachable")
            )
        if not stage.final and not any(
            t.targets() and set(t.targets()) != {stage.key}
            for t in definition.from_stage(stage.key)
        ):
            found.append(
                Problem(
                    f"stages.{keys.index(stage.key)}",
                    f"{stage.key!r} is not final and no action leads out of it",
                )
            )
    return found


KEEPS_NO_STAGE = frozenset({"move", "cancel"})
"""Operations that are a move: they must name where the order goes."""


def _reachable(definition: Definition) -> set[str]:
    """Stages an order can get to: from the initial stage and the channel's rules, along the
    actions (a hold's release goes back to where the order came from: no stage of its own)."""
    start = {definition.initial, *(rule.stage for rule in definition.channel)}
    seen = set(start)
    queue = deque(start)
    while queue:
        key = queue.popleft()
        for t in definition.from_stage(key):
            for target in t.targets():
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return seen


def moves_needed(old: Definition, new: Definition) -> list[str]:
    """Stages of ``old`` that ``new`` does not have: open orders in them need a mapping."""
    keep = {stage.key for stage in new.stages}
    return [stage.key for stage in old.stages if stage.key not in keep]
