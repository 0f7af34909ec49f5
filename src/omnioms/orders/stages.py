"""Where an order stands in its flow: the hook through which the flows app places orders.

An order has a status (the unified one reports and stock rules read) and a stage (where it is
in its account's flow, which says what people may do next). The use cases of
:mod:`omnioms.orders.services` are the only code that changes either; they ask the installed
:class:`StagePolicy` where an order goes, so that ``orders`` does not import the flows app
above it (``docs/architecture.md``). Without the flows app installed, the stage is the status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from omnioms.channels.models import ChannelAccount
    from omnioms.orders.models import Order


@dataclass(frozen=True)
class Follow:
    """What a channel's report does to an order's stage."""

    stage: str
    status: str
    conflict: bool = False
    """True: the report contradicts what staff did; stage and status stay, a person decides."""
    ignored: bool = False
    """True: the order is already past what the channel reports; the fact is only recorded."""


class Placement(Protocol):
    """The flow of one account, for one use case (read once per batch)."""

    def place(self, order: Order) -> None:
        """Set a new order's flow version and stage from its status."""

    def follow(self, order: Order, reported: str, previous_report: str) -> Follow:
        """Where ``order`` goes when its channel now reports ``reported`` (it reported
        ``previous_report`` before; empty for none)."""

    def stage_for_status(self, order: Order, status: str) -> str:
        """The stage an older path (``change_order_status``) moving ``order`` to ``status``
        puts it in."""


class StagePolicy(Protocol):
    def for_account(self, account: ChannelAccount) -> Placement: ...


class _StatusIsStage:
    def place(self, order: Order) -> None:
        order.stage = order.status

    def follow(self, order: Order, reported: str, previous_report: str) -> Follow:
        return Follow(stage=reported, status=reported)

    def stage_for_status(self, order: Order, status: str) -> str:
        return status


class _NoFlows:
    def for_account(self, account: ChannelAccount) -> Placement:
        return _StatusIsStage()


_policy: list[StagePolicy] = [_NoFlows()]


def use_policy(policy: StagePolicy) -> None:
    """Install the policy (the flows app does, from its ``ready()``)."""
    _policy[0] = policy


def placement(account: ChannelAccount) -> Placement:
    return _policy[0].for_account(account)


def placements(accounts: Sequence[ChannelAccount]) -> dict[int, Placement]:
    return {account.pk: placement(account) for account in accounts}
