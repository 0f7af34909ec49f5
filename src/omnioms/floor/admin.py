"""The floor's settings in the back office: exception types with their owners and escalation
chain, close times, T-3 rules, team chat robots, material policies, KPI targets and the
inventory benchmarks; the records themselves read-only."""

from __future__ import annotations

from django.contrib import admin

from omnioms.floor.models import (
    ChatWebhook,
    DailyClose,
    EscalationStep,
    ExceptionOwner,
    ExceptionType,
    FloorException,
    InventoryBenchmark,
    KpiTargets,
    MaterialPolicy,
    OperationReport,
    PromiseRule,
    SiteClose,
    T3Rule,
)


class OwnerInline(admin.TabularInline):
    model = ExceptionOwner
    extra = 0
    autocomplete_fields = ()


class StepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0


@admin.register(ExceptionType)
class ExceptionTypeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "tolerance",
        "hours_to_acknowledge",
        "hours_to_resolve",
        "owner_role",
        "is_active",
    ]
    inlines = [OwnerInline, StepInline]


@admin.register(SiteClose)
class SiteCloseAdmin(admin.ModelAdmin):
    list_display = ["site", "close_at", "time_zone", "is_active"]


@admin.register(T3Rule)
class T3RuleAdmin(admin.ModelAdmin):
    list_display = ["customer", "account", "days"]


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]
    exclude = ()


@admin.register(MaterialPolicy)
class MaterialPolicyAdmin(admin.ModelAdmin):
    list_display = ["sku", "backflush"]


@admin.register(KpiTargets)
class KpiTargetsAdmin(admin.ModelAdmin):
    list_display = [
        "otd",
        "oee",
        "inventory_band",
        "adherence",
        "forecast_accuracy",
        "benchmark",
        "own_benchmark_days",
    ]


@admin.register(InventoryBenchmark)
class InventoryBenchmarkAdmin(admin.ModelAdmin):
    list_display = ["segment", "company", "year", "days", "source"]
    search_fields = ["segment", "company"]
    fields = ["segment", "company", "year", "days", "source", "url", "method"]


@admin.register(PromiseRule)
class PromiseRuleAdmin(admin.ModelAdmin):
    list_display = ["account", "promise_days", "calendar"]


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(OperationReport)
class OperationReportAdmin(ReadOnly):
    list_display = [
        "report_id",
        "operation",
        "kind",
        "at",
        "good",
        "scrap",
        "source",
        "actor_label",
    ]
    list_filter = ["kind", "source"]


@admin.register(FloorException)
class FloorExceptionAdmin(ReadOnly):
    list_display = [
        "title",
        "type",
        "status",
        "owner_role",
        "owner_user",
        "opened_at",
        "escalation_level",
    ]
    list_filter = ["status", "type"]


@admin.register(DailyClose)
class DailyCloseAdmin(ReadOnly):
    list_display = ["day", "site", "ran_at"]
