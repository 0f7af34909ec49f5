"""Back office for the catalogue: products with their SKUs, bundles, channel SKU names."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from omnioms.catalog.models import BundleComponent, ChannelSkuMapping, Product, Sku


class SkuInline(admin.TabularInline):
    model = Sku
    fields = ["code", "name", "currency", "unit_cost", "price", "is_active"]
    extra = 0
    show_change_link = True  # bundle components and attributes are edited on the SKU's page


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "created_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["created_at"]
    inlines = [SkuInline]


class BundleComponentInline(admin.TabularInline):
    model = BundleComponent
    fk_name = "bundle"
    fields = ["component", "quantity"]
    autocomplete_fields = ["component"]
    extra = 0
    verbose_name = _("bundle component")
    verbose_name_plural = _("bundle components")


@admin.register(Sku)
class SkuAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "product", "currency", "price", "unit_cost", "is_active"]
    list_filter = ["is_active", "currency"]
    list_select_related = ["product"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["product"]
    inlines = [BundleComponentInline]


@admin.register(ChannelSkuMapping)
class ChannelSkuMappingAdmin(admin.ModelAdmin):
    list_display = ["external_sku", "account", "sku"]
    list_filter = ["account"]
    list_select_related = ["account", "sku"]
    search_fields = ["external_sku", "sku__code"]
    autocomplete_fields = ["account", "sku"]
