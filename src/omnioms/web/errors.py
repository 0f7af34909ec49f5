"""Error pages in the site's layout.

Under ``/api/`` errors stay JSON in the API's shape: a script that mistypes a URL or meets a
bug reads ``{"detail": ..., "errors": []}``, never an HTML page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
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
