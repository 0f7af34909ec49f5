"""Reading flows: which flow and version an account's orders run under, and its definition."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from omnioms.channels.models import ChannelAccount
from omnioms.flows.definition import Definition, Discounts
from omnioms.flows.models import Flow, FlowVersion, VersionState
from omnioms.flows.presets import preset, preset_for

_definitions: dict[tuple[int, str], Definition] = {}
"""Published versions never change, so their parsed definitions are kept per process, keyed by
id and creation time (a test database hands out the same ids again)."""


def definition_of(version: FlowVersion | int) -> Definition:
    """The parsed definition of a version (cached once published)."""
    row = (
        version
        if isinstance(version, FlowVersion)
        else FlowVersion.objects.only("pk", "created_at", "state").get(pk=version)
    )
    key = (row.pk, row.created_at.isoformat())
    found = _definitions.get(key)
    if found is not None:
        return found
    definition = Definition.model_validate(row.definition)  # read now if it was deferred
    if row.state != VersionState.DRAFT:
        _definitions[key] = definition
    return definition


def flow_of(account: ChannelAccount) -> Flow:
    """The account's own flow, else its platform's default (made from the fitting preset the
    first time it is needed)."""
    own = Flow.objects.filter(account=account).select_related("current").first()
    if own is not None:
        return own
    return default_flow(account.platform)


def default_flow(platform: str) -> Flow:
    found = Flow.objects.filter(account=None, platform=platform).select_related("current").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return create_from_preset(preset_for(platform), platform=platform)
    except IntegrityError:  # made meanwhile by another transaction
        return Flow.objects.select_related("current").get(account=None, platform=platform)


def create_from_preset(
    name: str, *, platform: str = "", account: ChannelAccount | None = None
) -> Flow:
    """A flow with the preset as its first published version."""
    definition = preset(name)
    flow = Flow.objects.create(
        name=definition["name"], platform=platform, account=account, preset=name
    )
    version = FlowVersion.objects.create(
        flow=flow, number=1, state=VersionState.PUBLISHED, definition=definition
    )
    flow.current = version
    flow.save(update_fields=["current"])
    return flow


def current_version(account: ChannelAccount) -> FlowVersion:
    flow = flow_of(account)
    assert flow.current is not None, "a flow always has a published version"
    return flow.current


def discount_limits(account: ChannelAccount) -> Discounts:
    """The discount limits of the account's current flow version (what ``sales`` quotes obey)."""
    return definition_of(current_version(account)).discount_limits()
