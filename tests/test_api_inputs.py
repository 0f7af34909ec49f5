"""Every text input of every API operation refuses the NUL character with a 422 naming the field.

PostgreSQL's text cannot hold NUL, so without the check such input was a 500 there (and stored
on SQLite). The inputs are read from the OpenAPI schema, so an operation added later is walked
too: its text parameters and every text field of its body, nested ones included.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from omnioms.api_v1 import api
from omnioms.core.roles import Role
from omnioms.testing import api_as

pytestmark = pytest.mark.django_db

NUL_TEXT = "a\x00b"
OPENAPI = api.get_openapi_schema()


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    found: Any = OPENAPI
    for part in ref.removeprefix("#/").split("/"):
        found = found[part]
    return _resolve(found)


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]]:
    schema = _resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return [alt for option in schema[key] for alt in _alternatives(option)]
    return [schema]


Path = tuple[str | int, ...]


def _text_paths(schema: dict[str, Any], prefix: Path = ()) -> Iterator[Path]:
    """The paths, in a JSON value of ``schema``, of every value that may be text."""
    for option in _alternatives(schema):
        kind = option.get("type")
        if kind == "string":
            yield prefix
        elif kind == "array" and "items" in option:
            yield from _text_paths(option["items"], (*prefix, 0))
        elif kind == "object" or "properties" in option:
            for name, field in option.get("properties", {}).items():
                yield from _text_paths(field, (*prefix, name))


def _placeholder(schema: dict[str, Any]) -> Any:
    """Some value of ``schema``'s type with its required fields; right or wrong, it does not
    matter: only the error on the field under test is looked at."""
    option = _alternatives(schema)[0]
    kind = option.get("type")
    if "enum" in option:
        return option["enum"][0]
    if kind == "object" or "properties" in option:
        return {
            name: _placeholder(option["properties"][name]) for name in option.get("required", [])
        }
    return {"string": "x", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind)


def _free_text(schema: dict[str, Any], path: Path) -> bool:
    """Whether the text at ``path`` is any text (no format, pattern or list of values): its
    error is then the NUL message itself, not "not a valid time" or "should match pattern"."""
    options = _alternatives(schema)
    if not path and any(option.get("type") in ("number", "integer") for option in options):
        return False  # a number, or the same written as text ("19.90")
    for option in options:
        if not path:
            if option.get("type") == "string":
                return not {"format", "pattern", "enum"} & set(option)
        elif isinstance(path[0], int) and option.get("type") == "array":
            return _free_text(option["items"], path[1:])
        elif path[0] in option.get("properties", {}):
            return _free_text(option["properties"][path[0]], path[1:])
    return False


def _body_with(schema: dict[str, Any], path: Path, value: Any) -> Any:
    """A body of ``schema`` holding ``value`` at ``path``."""
    if not path:
        return value
    option = next(
        alt
        for alt in _alternatives(schema)
        if (alt.get("type") == "array") == isinstance(path[0], int)
        and alt.get("type") in ("array", "object", None)
    )
    if isinstance(path[0], int):
        return [_body_with(option["items"], path[1:], value)]
    body = _placeholder(option)
    body[path[0]] = _body_with(option["properties"][path[0]], path[1:], value)
    return body


def _cases() -> Iterator[Any]:
    for route, operations in OPENAPI["paths"].items():
        for method, operation in operations.items():
            parameters = operation.get("parameters", [])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            for parameter in parameters:
                # A text parameter, or a list of them (``?sku=A&sku=B``).
                for path in _text_paths(parameter["schema"]):
                    name = parameter["name"]
                    free = _free_text(parameter["schema"], path)
                    yield pytest.param(
                        method,
                        route,
                        parameter["in"],
                        name,
                        (),
                        free,
                        id=f"{method} {route} {name}",
                    )
            if body is not None:
                for path in _text_paths(body["schema"]):
                    field = ".".join(str(part) for part in path)
                    free = _free_text(body["schema"], path)
                    yield pytest.param(
                        method, route, "body", field, path, free, id=f"{method} {route} {field}"
                    )


def _path_values(route: str, parameters: list[dict[str, Any]], nul_in: str | None) -> str:
    for parameter in parameters:
        if parameter["in"] == "path":
            value = NUL_TEXT if parameter["name"] == nul_in else "1"
            route = route.replace("{" + parameter["name"] + "}", quote(value, safe=""))
    return route


CASES = list(_cases())


def test_the_walk_finds_text_in_paths_queries_and_nested_bodies() -> None:
    ids = {case.id for case in CASES}
    assert {
        "post /api/v1/webhooks/{account} account",
        "get /api/v1/orders q",
        "post /api/v1/orders lines.0.sku",
        "post /api/v1/orders ship_to.address",
        "get /api/v1/channels/{account}/availability sku",
        "post /api/v1/inventory/adjustments reason",
    } <= ids


@pytest.mark.parametrize(("method", "route", "where", "field", "body_path", "free"), CASES)
def test_nul_in_a_text_input_is_422_naming_the_field(
    client: Client, method: str, route: str, where: str, field: str, body_path: Path, free: bool
) -> None:
    client.raise_request_exception = False  # a 500 is an answer to assert on, not a raise
    operation = OPENAPI["paths"][route][method]
    parameters = operation.get("parameters", [])
    url = _path_values(route, parameters, field if where == "path" else None)
    query = {field: NUL_TEXT} if where == "query" else {}
    body: Any = None
    if where == "body":
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        body = _body_with(schema, body_path, NUL_TEXT)
    caller = api_as(client, Role.ADMINISTRATOR)

    if method == "get":
        response = client.get(url, query, headers=caller.headers)
    else:
        response = caller.post(url.removeprefix("/api/v1"), body)

    if (route, field) == ("/api/v1/webhooks/{account}", "account"):
        # No account has such a name: answered as every unknown name and bad signature are
        # (401), so that account names cannot be probed, and nothing is queried.
        assert response.status_code == 401, response.content
        return
    assert response.status_code == 422, response.content
    messages = {error["field"]: error["message"] for error in response.json()["errors"]}
    assert field in messages, messages
    if free:
        assert messages[field] == "must not contain the NUL character"
