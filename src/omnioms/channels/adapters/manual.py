"""Orders keyed in by staff or posted to ``POST /api/v1/orders``: already the normalised shape."""

from __future__ import annotations

from pydantic import ValidationError

from omnioms.channels.adapters.base import (
    Adapter,
    AdapterContext,
    NormalizationError,
    Record,
    load_json,
)
from omnioms.channels.contract import NormalizedOrder


def normalize(record: Record, context: AdapterContext) -> NormalizedOrder:
    data = load_json(record)
    if not isinstance(data, dict):
        raise NormalizationError("expected a JSON object with the normalised order fields")
    data = {key: value for key, value in data.items() if key != "account"}
    data.setdefault("channel", "manual")
    data.setdefault("currency", context.currency)
    try:
        return NormalizedOrder.model_validate(data)
    except ValidationError as exc:
        raise NormalizationError(describe_validation_error(exc)) from exc


def describe_validation_error(exc: ValidationError) -> str:
    """Pydantic's errors as one line a person can act on: ``line 2: unit_price: 'abc' is not a
    number; total: Field required``."""
    parts = []
    for error in exc.errors():
        location = list(error["loc"])
        prefix = ""
        if len(location) >= 2 and location[0] == "lines" and isinstance(location[1], int):
            prefix = f"line {location[1] + 1}: "
            location = location[2:]
        path = ".".join(str(part) for part in location)
        message = error["msg"].removeprefix("Value error, ")
        parts.append(f"{prefix}{path}: {message}" if path else f"{prefix}{message}")
    return "; ".join(parts)


ADAPTER = Adapter(code="manual", normalize=normalize)
