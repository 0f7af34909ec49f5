"""The REST API root: ``/api/v1``, OpenAPI 3 at ``/api/v1/openapi.json``.

Errors always have the shape ``{"detail": ..., "errors": [{"field": ..., "message": ...}]}``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError

from omnioms.api.auth import AUTH
from omnioms.catalog.api import router as catalog_router
from omnioms.channels.api import router as channels_router
from omnioms.channels.api import webhooks
from omnioms.inventory.api import router as inventory_router
from omnioms.orders.api import router as orders_router

api = NinjaAPI(
    title="omnioms",
    version="1",
    urls_namespace="api",
    auth=AUTH,
    # Swagger UI would send the schema's address to validator.swagger.io for a badge.
    docs=Swagger(settings={"validatorUrl": None}),
)


def _field(loc: list[object]) -> str:
    """``["body", "data", "lines", 0, "unit_price"]`` -> ``"lines.0.unit_price"``."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("data", "q"):  # the view's parameter name, not a field
        parts = parts[1:]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field(list(error.get("loc", []))), "message": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    return api.create_response(
        request, {"detail": "the request is not valid", "errors": errors}, status=422
    )


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": "authentication required: send Authorization: Bearer <token>", "errors": []},
        status=401,
    )


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc), "errors": []}, status=exc.status_code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    # Not ``str(exc)``: get_object_or_404's "No Order matches the given query." names a model.
    return api.create_response(request, {"detail": _("Not Found"), "errors": []}, status=404)


api.add_router("/webhooks", webhooks)
api.add_router("/orders", orders_router)
api.add_router("/", channels_router)
api.add_router("/", catalog_router)
api.add_router("/", inventory_router)
