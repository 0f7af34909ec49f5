"""Requests refused before any view sees them, with an answer that says why.

- A body beyond ``DATA_UPLOAD_MAX_MEMORY_SIZE``: Django refuses it when it is first read
  (``RequestDataTooBig``) with its own 400 page, which tells a platform, a script or a person
  nothing about what to change. Here it is a 413 naming the limit: in the API's error shape
  under ``/api/`` (webhooks included), a short translated text elsewhere.
- The NUL character in a web page's address (its path or query string): PostgreSQL cannot
  compare text with it, so a filter holding it was a 500 wherever a page (or the admin) used
  it in a query. No page has a use for it: 400. The API is left to its schemas, which name
  the parameter in a 422 (``omnioms.api.schemas``), and forms' fields refuse it themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from omnioms.core.inputs import NUL

API_PREFIX = "/api/"


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    detail = _("The request body is larger than the limit of %(size)s (%(bytes)d bytes).") % {
        "size": filesizeformat(limit),
        "bytes": limit,
    }
    if request.path_info.startswith(API_PREFIX):
        return HttpResponse(
            json.dumps({"detail": detail, "errors": []}),
            status=413,
            content_type="application/json",
        )
    return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")


def _nul_in_address(request: HttpRequest) -> bool:
    return NUL in request.path_info or any(
        NUL in key or any(NUL in value for value in values) for key, values in request.GET.lists()
    )


def _declared_too_large(request: HttpRequest) -> bool:
    """What ``request.body`` would refuse: a declared length beyond the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return limit is not None and length > limit


class RequestLimitsMiddleware:
    """Put after ``LocaleMiddleware`` (the answers are translated) and before
    ``CsrfViewMiddleware``, whose check reads a form's body."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        # Multipart bodies are streamed to files, and Django limits only their form fields: a
        # large file upload is fine. Everything else is read into memory, so refused here,
        # before anything (authentication, the CSRF check) looks at it.
        if _declared_too_large(request) and (
            request.path_info.startswith(API_PREFIX)
            or request.content_type != "multipart/form-data"
        ):
            return too_large(request)
        if not request.path_info.startswith(API_PREFIX) and _nul_in_address(request):
            return HttpResponse(
                _("The address contains the NUL character, which no page accepts."),
                status=400,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # A multipart form whose fields alone exceed the limit: read them now, as the CSRF
        # check next would, so that Django's refusal becomes this answer instead of its 400.
        if request.method == "POST" and not getattr(view, "csrf_exempt", False):
            try:
                request.POST  # noqa: B018
            except RequestDataTooBig:
                return too_large(request)
        return None
