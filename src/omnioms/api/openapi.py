"""The OpenAPI schema declares every error an operation can answer, in the error shape.

Operations declare what their own code answers (400, 404, 409). The answers that come from
around them are added here, where it is known when they happen, so that no operation forgets
one: 401 and 403 where authentication is required (no or a bad token; a missing permission,
or a session without its CSRF token), 422 where there is any input to validate, 413 on every
method that takes a body (``omnioms.api.middleware`` refuses any body over the limit).
``tests/test_openapi_fuzz.py`` checks the result against the running API.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from omnioms.api.schemas import ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ANSWERS = {
    401: "Not authenticated: no token, or one that is unknown or revoked",
    403: "Authenticated, but without the permission this needs",
    413: "The body is larger than the server's limit (DATA_UPLOAD_MAX_MEMORY_SIZE)",
    422: "The input is not valid; each error names its field",
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def declare_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (an OpenAPI document) with the answers above on each operation they apply to."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" not in components:
        definition = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(definition.pop("$defs", {}))
        components["ErrorOut"] = definition
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            codes = []
            if operation.get("security"):
                codes += [401, 403]
            if method in ("post", "put", "patch"):
                codes.append(413)
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append(422)
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(code, _error(ANSWERS[code]))
    return schema


class DocumentedAPI(NinjaAPI):
    """A ``NinjaAPI`` whose OpenAPI schema has the answers of :func:`declare_errors`."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        return declare_errors(super().get_openapi_schema(*args, **kwargs))
