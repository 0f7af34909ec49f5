"""Shapes shared by several routers."""

from __future__ import annotations

from ninja import Schema


class FieldError(Schema):
    field: str | None
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[FieldError] = []
