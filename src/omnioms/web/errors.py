"""Error pages in the site's layout, and the login page shown to a locked-out login.

Under ``/api/`` errors stay JSON in the API's shape: a script that mistypes a URL or meets a
bug reads ``{"detail": ..., "errors": []}``, never an HTML page.
"""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth.forms import AuthenticationForm
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import requires_csrf_token

API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def _api_error(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": []}, status=status)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(_("Not Found"), 404)
    return render(request, "web/errors/404.html", status=404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return _api_error(str(exception) or _("Permission denied"), 403)
    return render(request, "web/errors/403.html", status=403)


def server_error(request: HttpRequest) -> HttpResponse:
    """Renders without the request: its user and session may be what failed (the database)."""
    if _is_api(request):
        return _api_error(_("Internal server error"), 500)
    return HttpResponseServerError(loader.get_template("web/errors/500.html").render())


def lockout_message(request: HttpRequest) -> str:
    cool_off = get_cool_off(request)
    if not cool_off:
        return _(
            "Too many failed log-ins as this user from your address. "
            "Ask an administrator to unlock it."
        )
    minutes = max(1, math.ceil(cool_off.total_seconds() / 60))
    return ngettext(
        "Too many failed log-ins as this user from your address. Try again in %(minutes)d minute.",
        "Too many failed log-ins as this user from your address. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


def login_locked_out(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """django-axes's lockout response: the login page that was refused (the web's or the
    admin's), its error replaced by the lockout message, with 429 Too Many Requests."""
    context = getattr(original_response, "context_data", None) or {}
    form = context.get("form")
    if isinstance(original_response, TemplateResponse) and isinstance(form, BaseForm):
        _only_error(form, lockout_message(request))
        # Rendered here: the middleware that asks for it runs after the response was rendered.
        page = TemplateResponse(request, original_response.template_name, context, status=429)
        return page.render()
    form = AuthenticationForm(request, data={"username": (credentials or {}).get("username")})
    _only_error(form, lockout_message(request))
    return render(request, "web/login.html", {"form": form}, status=429)


def _only_error(form: BaseForm, message: str) -> None:
    """``message`` as the form's one error ("enter a correct password" would mislead)."""
    form.errors.clear()
    form.add_error(None, message)
