"""Shapes shared by several routers.

Every input of the API goes through :class:`InputSchema` (bodies, nested parts of bodies, the
query schemas) or :data:`Text` (a path or query parameter declared on its own), so that what
no database can hold is a 422 naming the field (:mod:`omnioms.core.inputs`): a new schema gets
it by deriving from ``InputSchema``, and ``tests/test_api_inputs.py`` walks the OpenAPI schema
to check that every text input of every operation does. The normalised-order contract
(``POST /orders``) applies the same checks itself.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, field_validator

from omnioms.core.inputs import no_nul, storable


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []


class InputSchema(Schema):
    """The base of every schema of inputs: text without NUL, times PostgreSQL can store.

    Not for outputs: a value stored before these checks existed must still be readable."""

    @field_validator("*", mode="after")
    @classmethod
    def _storable(cls, value: Any) -> Any:
        return storable(value)


Text = Annotated[str, AfterValidator(no_nul)]
"""A text parameter declared outside a schema (``account: Text`` in a path)."""
