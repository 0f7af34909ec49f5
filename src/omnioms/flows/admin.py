"""Flows in the back office, read only: they are edited and published in the flow editor
(``/flows/``), which checks them first and moves the open orders."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from omnioms.flows.models import Flow, FlowVersion


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Flow)
class FlowAdmin(_ReadOnly):
    list_display = ["name", "account", "platform", "preset", "current"]
    list_select_related = ["account", "current"]
    search_fields = ["name", "account__name"]


@admin.register(FlowVersion)
class FlowVersionAdmin(_ReadOnly):
    list_display = ["flow", "number", "state", "created_at", "published_at"]
    list_filter = ["state"]
    list_select_related = ["flow"]
