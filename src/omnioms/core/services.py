"""Staff users and their roles."""

from __future__ import annotations

import getpass

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from omnioms.core.models import Location, StaffProfile
from omnioms.core.roles import ROLE_PERMISSIONS, Role


def is_administrator(user: User) -> bool:
    """A superuser, or in the administrator role (who has every permission and the admin)."""
    return user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR).exists()


def may_manage(actor: User, user: User) -> bool:
    """Whether ``actor`` may deactivate ``user`` or set their password: only an administrator
    touches an administrator (else a manager could take over their account)."""
    return is_administrator(actor) or not (is_administrator(user) or user.is_staff)


def assignable_roles(actor: User | None) -> list[str]:
    """The roles ``actor`` may give (every role for the command line, which has no actor)."""
    if actor is None or is_administrator(actor):
        return list(ROLE_PERMISSIONS)
    return [role for role in ROLE_PERMISSIONS if role != Role.ADMINISTRATOR]


def create_staff_user(
    *,
    username: str,
    role: str,
    password: str | None = None,
    store_code: str | None = None,
    actor: User | None = None,
) -> User:
    """A user in one role's group; store clerks must name their store. ``actor``, the person
    creating the user, must be an administrator to make one.

    Raises ``ValueError`` naming what is wrong. Prompts for a password when none is given and
    a terminal is attached.
    """
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"role: {role!r} is not a role; roles: {', '.join(ROLE_PERMISSIONS)}")
    if role not in assignable_roles(actor):
        raise ValueError("role: only an administrator may make an administrator")
    if User.objects.filter(username=username).exists():
        raise ValueError(f"username: {username!r} already exists")
    store = None
    if store_code:
        store = Location.objects.filter(code=store_code).first()
        if store is None:
            raise ValueError(f"store: no location with code {store_code!r}")
    elif role == Role.STORE_CLERK:
        raise ValueError("store: a store clerk needs --store")
    if password is None:
        password = getpass.getpass(f"Password for {username}: ")
    try:
        validate_password(password, User(username=username))
    except ValidationError as exc:
        raise ValueError("password: " + " ".join(exc.messages)) from None
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, is_staff=role == Role.ADMINISTRATOR
        )
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.create(user=user, store=store)
    return user


def set_staff_active(user: User, active: bool, *, actor: User) -> None:
    """Deactivate a user (they can no longer log in or use their API tokens), or undo it.

    Raises ``ValueError`` when ``actor`` may not manage ``user`` or deactivates themselves.
    """
    if not may_manage(actor, user):
        raise ValueError("user: only an administrator may change an administrator")
    if not active and user.pk == actor.pk:
        raise ValueError("user: you cannot deactivate yourself")
    User.objects.filter(pk=user.pk).update(is_active=active)
    user.is_active = active
