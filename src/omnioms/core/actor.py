"""Who did something: a person, a channel, or the system itself.

Use cases take one ``Actor`` instead of a user plus a free-text source, so that every event
row can say who or what made a change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


@dataclass(frozen=True)
class Actor:
    kind: str
    """``user``, ``channel`` or ``system``."""
    label: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: AbstractBaseUser | AnonymousUser) -> Actor:
        return cls(kind="user", label=user.get_username(), user_id=user.pk)

    @classmethod
    def channel(cls, account_name: str) -> Actor:
        return cls(kind="channel", label=account_name)

    @classmethod
    def system(cls, what: str = "system") -> Actor:
        return cls(kind="system", label=what)
