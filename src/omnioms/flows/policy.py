"""The flows app's answer to :mod:`omnioms.orders.stages`: where an order goes in its flow.

Installed from :class:`~omnioms.flows.apps.FlowsConfig.ready`; the use cases of
``orders.services`` ask it, once per account and batch, so the upsert of a thousand orders
reads the account's flow once.
"""

from __future__ import annotations

from omnioms.channels.models import ChannelAccount
from omnioms.flows.definition import Definition
from omnioms.flows.selectors import current_version, definition_of
from omnioms.orders.models import Order
from omnioms.orders.stages import Follow, Placement


class FlowPlacement:
    def __init__(self, version_id: int, definition: Definition) -> None:
        self.version_id = version_id
        self.definition = definition

    def _of(self, order: Order) -> Definition:
        """Old orders keep the version they started under."""
        version = order.flow_version_id
        if version is None or version == self.version_id:
            return self.definition
        return definition_of(version)

    def place(self, order: Order) -> None:
        order.flow_version_id = self.version_id
        order.stage = self.definition.stage_for_status(order.status) or ""

    def follow(self, order: Order, reported: str, previous_report: str) -> Follow:
        here = Follow(stage=order.stage, status=order.status, ignored=True)
        if reported == previous_report:
            return here  # the channel says nothing new: staff moves since stand
        if order.flow_version_id is None:
            self.place(order)
        definition = self._of(order)
        rule = definition.channel_rule(reported)
        target = rule.stage if rule is not None else definition.stage_for_status(reported)
        if target is None or target == order.stage:
            return here
        if rule is not None and order.stage in rule.conflict_in:
            return Follow(stage=order.stage, status=order.status, conflict=True)
        if rule is not None and order.stage in rule.ignore_in:
            return here
        return Follow(stage=target, status=definition.status_of(target) or reported)

    def stage_for_status(self, order: Order, status: str) -> str:
        definition = self._of(order)
        if definition.status_of(order.stage) == status:
            return order.stage
        return definition.stage_for_status(status) or status


class FlowStagePolicy:
    def for_account(self, account: ChannelAccount) -> Placement:
        version = current_version(account)
        return FlowPlacement(version.pk, definition_of(version))
