"""Channel pages: the health of every account, and a spreadsheet account's column mapping.

The mapping page keeps the uploaded sample (its header and first rows, as CSV text) in the
session between requests, so that a person can change the mapping and preview it again without
uploading the file each time.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from omnioms.channels.adapters.base import NormalizationError
from omnioms.channels.adapters.csv_mapped import ColumnMapping, read_mapping
from omnioms.channels.adapters.csv_sample import Preview, Sample, preview, read_sample
from omnioms.channels.models import ChannelAccount
from omnioms.channels.normalizing import account_context
from omnioms.core.actor import Actor
from omnioms.core.choices import Platform
from omnioms.sync.forms import (
    DATE_FORMATS,
    ColumnMappingForm,
    ImportFileForm,
    SampleUploadForm,
)
from omnioms.sync.health import channel_health as read_channel_health
from omnioms.sync.rejections import UNKNOWN_NAMES_PER_HOUR
from omnioms.sync.services import import_file

logger = logging.getLogger(__name__)

PREVIEW_ORDERS_SHOWN = 20
PREVIEW_FAILURES_SHOWN = 50
SAMPLE_ROWS_SHOWN = 10


@login_required
@permission_required("channels.view_channel_health", raise_exception=True)
@require_GET
def channel_health(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "channels/health.html",
        {
            "report": read_channel_health(),
            "may_map": request.user.has_perm("channels.configure_column_mapping"),
            "may_see_dead_letters": request.user.has_perm("channels.view_deadletter"),
            "names_per_hour": UNKNOWN_NAMES_PER_HOUR,
        },
    )


# ----------------------------------------------------------------------------------------------
# Column mapping


def _csv_account(name: str) -> ChannelAccount:
    account = ChannelAccount.objects.filter(name=name, platform=Platform.CSV).first()
    if account is None:
        raise Http404(_("No spreadsheet account named %(name)s.") % {"name": name})
    return account


def _session_key(account: ChannelAccount) -> str:
    return f"omnioms.csv_sample.{account.pk}"


def _stored_sample(request: HttpRequest, account: ChannelAccount) -> tuple[Sample, str] | None:
    stored = request.session.get(_session_key(account))
    if not stored:
        return None
    try:
        sample = read_sample(stored["document"].encode(), "sample.csv")
    except (NormalizationError, KeyError, AttributeError):
        request.session.pop(_session_key(account), None)
        return None
    return (
        Sample(sample.header, sample.rows, sample.document, bool(stored.get("truncated"))),
        str(stored.get("filename", "")),
    )


def _saved_mapping(account: ChannelAccount) -> tuple[ColumnMapping | None, str]:
    """The account's mapping, and why it cannot be used when it is broken."""
    if not account.options.get("column_mapping"):
        return None, ""
    try:
        return read_mapping(account.options), ""
    except NormalizationError as exc:
        return None, str(exc)


@login_required
@permission_required("channels.configure_column_mapping", raise_exception=True)
@require_http_methods(["GET", "POST"])
def column_mapping(request: HttpRequest, account: str) -> HttpResponse:
    found = _csv_account(account)
    saved, saved_problem = _saved_mapping(found)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    upload = SampleUploadForm()
    if action == "upload":
        upload = SampleUploadForm(request.POST, request.FILES)
        if upload.is_valid():
            request.session[_session_key(found)] = {
                "filename": upload.cleaned_data["file"].name,
                "document": upload.sample.document.decode(),
                "truncated": upload.sample.truncated,
            }
            return redirect("channels:column_mapping", account=found.name)
    elif action == "discard":
        request.session.pop(_session_key(found), None)
        return redirect("channels:column_mapping", account=found.name)
    stored = _stored_sample(request, found)
    context: dict[str, Any] = {
        "account": found,
        "saved": saved,
        "saved_problem": saved_problem,
        "upload": upload,
        "import_form": ImportFileForm(),
        "may_import": request.user.has_perm("orders.import_orders"),
        "date_formats": DATE_FORMATS,
    }
    if stored is None:
        return render(request, "channels/mapping.html", context)
    sample, filename = stored
    form = _mapping_form(request, action, sample, saved)
    result: Preview | None = None
    if action in ("preview", "save") and form.is_valid():
        if action == "save":
            _save_mapping(found, form.mapping, request)
            messages.success(
                request, _("Column mapping saved for %(account)s.") % {"account": found}
            )
            return redirect("channels:column_mapping", account=found.name)
        result = preview(sample.document, filename, form.mapping, account_context(found))
    elif not action and saved is not None:
        result = preview(sample.document, filename, saved, account_context(found))
    context.update(
        sample=sample,
        filename=filename,
        sample_rows=sample.rows[:SAMPLE_ROWS_SHOWN],
        form=form,
        result=result,
        shown_orders=result.orders[:PREVIEW_ORDERS_SHOWN] if result else [],
        shown_failures=result.failures[:PREVIEW_FAILURES_SHOWN] if result else [],
    )
    # htmx swaps only 2xx answers: its requests get the form with its errors as a 200.
    invalid = action in ("preview", "save") and bool(form.errors)
    status = 400 if invalid and not getattr(request, "htmx", False) else 200
    return render(request, "channels/mapping.html", context, status=status)


def _mapping_form(
    request: HttpRequest, action: str, sample: Sample, saved: ColumnMapping | None
) -> ColumnMappingForm:
    refresh = request.path
    if action in ("preview", "save"):
        return ColumnMappingForm(request.POST, sample=sample, saved=saved, refresh_url=refresh)
    if action == "refresh":  # the status column changed: show its values, judge nothing yet
        initial = request.POST.dict()
        return ColumnMappingForm(sample=sample, saved=saved, initial=initial, refresh_url=refresh)
    return ColumnMappingForm(sample=sample, saved=saved, refresh_url=refresh)


def _save_mapping(account: ChannelAccount, mapping: ColumnMapping, request: HttpRequest) -> None:
    """Write the mapping into the account's options, keeping every other option as it is now
    (another page or job may have changed one since this page was loaded)."""
    with transaction.atomic():
        locked = ChannelAccount.objects.select_for_update().get(pk=account.pk)
        locked.options = {**locked.options, "column_mapping": mapping.as_options()}
        locked.save(update_fields=["options"])
    logger.info("column mapping of %s saved by %s", account.name, request.user)


@login_required
@permission_required("orders.import_orders", raise_exception=True)
@require_POST
def import_orders_file(request: HttpRequest, account: str) -> HttpResponse:
    found = _csv_account(account)
    form = ImportFileForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("file", []):
            messages.error(request, str(error))
        return redirect("channels:column_mapping", account=found.name)
    upload = form.cleaned_data["file"]
    summary = import_file(
        found, raw=upload.read(), filename=upload.name or "", actor=Actor.for_user(request.user)
    )
    text = _(
        "%(file)s imported: %(created)d created, %(updated)d updated, %(unchanged)d unchanged, "
        "%(failed)d could not be read."
    ) % {
        "file": upload.name,
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged + summary.stale,
        "failed": summary.dead_lettered,
    }
    if summary.dead_lettered:
        messages.warning(request, f"{text} {'; '.join(summary.problems[:5])}")
    else:
        messages.success(request, text)
    return redirect("channels:column_mapping", account=found.name)
