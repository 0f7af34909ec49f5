"""Back office for locations: the warehouses and stores."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from omnioms.inventory.models import Location


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province", "city", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "city"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Orders, accounts and staff point at a location for good; deactivate it instead.
        return False
