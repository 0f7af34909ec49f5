"""Back office of customer service: sources (mailboxes, WeChat accounts), teams, assignment
rules, SLA policies, canned replies, and the service dead letters (replayed from here)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from omnioms.service.intake import replay_dead_letter
from omnioms.service.models import (
    AssignmentRule,
    CannedReply,
    ServiceDeadLetter,
    SlaPolicy,
    Source,
    Team,
)


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "kind", "account", "is_active", "last_polled_at"]
    list_filter = ["kind", "is_active"]
    readonly_fields = ["poll_cursor", "last_polled_at", "last_error"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "lead"]
    filter_horizontal = ["members"]


@admin.register(AssignmentRule)
class AssignmentRuleAdmin(admin.ModelAdmin):
    list_display = ["position", "channel", "ticket_type", "language", "team"]
    list_editable = ["channel", "ticket_type", "language", "team"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "name",
        "channel",
        "ticket_type",
        "customer_tier",
        "first_response_minutes",
        "next_response_minutes",
        "resolution_minutes",
        "calendar",
    ]
    list_display_links = ["name"]


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language"]
    list_filter = ["language"]
    search_fields = ["title", "body"]


@admin.register(ServiceDeadLetter)
class ServiceDeadLetterAdmin(admin.ModelAdmin):
    list_display = ["created_at", "item", "reason", "attempts", "resolved_at"]
    list_filter = ["resolved_at"]
    readonly_fields = ["item", "reason", "created_at", "attempts", "resolved_at"]
    actions = ["replay"]

    @admin.action(description=_("Replay the selected dead letters"))
    def replay(self, request: HttpRequest, queryset: QuerySet[ServiceDeadLetter]) -> None:
        outcomes = [replay_dead_letter(letter.pk) for letter in queryset]
        messages.info(request, ", ".join(outcomes))
