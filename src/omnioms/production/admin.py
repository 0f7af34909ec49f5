"""Back office for the production master data (the planner's own pages are in ``views.py``)."""

from __future__ import annotations

from django.contrib import admin

from omnioms.production.models import (
    Bom,
    BomLine,
    Calendar,
    CalendarDay,
    Routing,
    RoutingOperation,
    SetupTime,
    Shift,
    ShiftBreak,
    Supplier,
    SupplyTerm,
    WorkCenter,
)


class SupplyTermInline(admin.TabularInline):
    model = SupplyTerm
    extra = 0
    autocomplete_fields = ["sku"]


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "contact"]
    search_fields = ["code", "name"]
    inlines = [SupplyTermInline]


class ShiftInline(admin.TabularInline):
    model = Shift
    extra = 0
    show_change_link = True


class CalendarDayInline(admin.TabularInline):
    model = CalendarDay
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "time_zone"]
    search_fields = ["code", "name"]
    inlines = [ShiftInline, CalendarDayInline]


class ShiftBreakInline(admin.TabularInline):
    model = ShiftBreak
    extra = 0


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["calendar", "weekday", "name", "start", "end"]
    list_filter = ["calendar", "weekday"]
    inlines = [ShiftBreakInline]


class SetupTimeInline(admin.TabularInline):
    model = SetupTime
    extra = 0


@admin.register(WorkCenter)
class WorkCenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "machines", "calendar", "hourly_cost", "is_active"]
    list_filter = ["is_active", "calendar"]
    search_fields = ["code", "name"]
    inlines = [SetupTimeInline]


class BomLineInline(admin.TabularInline):
    model = BomLine
    extra = 0
    autocomplete_fields = ["component"]


@admin.register(Bom)
class BomAdmin(admin.ModelAdmin):
    list_display = ["sku", "version", "effective_from", "effective_to", "status"]
    list_filter = ["status"]
    search_fields = ["sku__code", "sku__name"]
    autocomplete_fields = ["sku"]
    inlines = [BomLineInline]


class RoutingOperationInline(admin.TabularInline):
    model = RoutingOperation
    extra = 0
    filter_horizontal = ["alternatives"]


@admin.register(Routing)
class RoutingAdmin(admin.ModelAdmin):
    list_display = ["sku", "version", "effective_from", "effective_to", "status"]
    list_filter = ["status"]
    search_fields = ["sku__code", "sku__name"]
    autocomplete_fields = ["sku"]
    inlines = [RoutingOperationInline]
