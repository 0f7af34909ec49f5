"""Bearer tokens for scripts, the session for the web UI; permissions checked per operation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from omnioms.api.services import user_for_token


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """The web UI's session, CSRF-checked. Without a logged-in session there is nothing for
    a forged request to ride on, so no CSRF check: the request is unauthenticated (401)."""

    def _get_key(self, request: HttpRequest) -> str | None:
        if not request.user.is_authenticated:
            return None
        return super()._get_key(request)


AUTH = [BearerToken(), Session()]


def require_perm(request: HttpRequest, *perms: str) -> None:
    """403 unless the authenticated user holds every permission named."""
    if not request.user.has_perms(perms):
        raise HttpError(403, "you do not have permission for this: " + ", ".join(perms))
