"""The back office's frame, and staff users with the store a store clerk is bound to."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from omnioms.core.models import Location, StaffProfile

admin.site.site_header = _("omnioms back office")
admin.site.site_title = _("omnioms back office")
admin.site.index_title = _("Back office")


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    fields = ["store"]
    can_delete = False
    max_num = 1
    verbose_name = _("staff profile")
    verbose_name_plural = _("staff profile")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "email", "first_name", "last_name", "is_staff", "store"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).select_related("staff_profile__store")

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # The add page only sets a username and password; the profile follows on the next page.
        return super().get_inline_instances(request, obj) if obj is not None else []

    @admin.display(description=_("store"), ordering="staff_profile__store__code")
    def store(self, obj: User) -> str:
        profile = getattr(obj, "staff_profile", None)
        return str(profile.store) if profile is not None and profile.store else ""


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "province", "city", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "city"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Orders, accounts and staff point at a location for good; deactivate it instead.
        return False
