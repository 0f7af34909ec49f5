"""Logging filters: requests refused on purpose are one line, not a traceback.

Django logs a request for a host not in ALLOWED_HOSTS (a scanner, a misrouted DNS name) and
a missing permission with the exception attached, so each becomes a traceback that buries
the real errors. The traceback says nothing the line does not.
"""

from __future__ import annotations

import logging

from django.core.exceptions import DisallowedHost, PermissionDenied


class OneLineRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exception = record.exc_info[1] if record.exc_info else None
        if isinstance(exception, DisallowedHost):
            request = getattr(record, "request", None)
            meta = getattr(request, "META", {})
            # repr(): the host and path come from the client; a line break in them must not
            # start a forged log line.
            record.msg = "Unknown host %r (not in OMNIOMS_ALLOWED_HOSTS): %s %r from %s"
            record.args = (
                meta.get("HTTP_HOST") or meta.get("SERVER_NAME", ""),
                getattr(request, "method", ""),
                getattr(request, "path", ""),
                meta.get("REMOTE_ADDR", "?"),
            )
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        elif not isinstance(exception, PermissionDenied):
            return True
        record.exc_info = None
        record.exc_text = None
        return True
