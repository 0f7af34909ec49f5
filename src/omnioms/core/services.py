"""Staff users and their roles."""

from __future__ import annotations

import getpass

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from omnioms.core.models import Location, StaffProfile
from omnioms.core.roles import ROLE_PERMISSIONS, Role


def create_staff_user(
    *, username: str, role: str, password: str | None = None, store_code: str | None = None
) -> User:
    """A user in one role's group; store clerks must name their store.

    Raises ``ValueError`` naming what is wrong. Prompts for a password when none is given and
    a terminal is attached.
    """
    if role not in ROLE_PERMISSIONS:
        raise ValueError(f"role: {role!r} is not a role; roles: {', '.join(ROLE_PERMISSIONS)}")
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
