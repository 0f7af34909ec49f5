from django.urls import path

from omnioms.production import versions, views

app_name = "production"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("work-centres/new/", views.work_centre, name="work_centre_new"),
    path("work-centres/<int:pk>/", views.work_centre, name="work_centre"),
    path("calendars/new/", views.calendar, name="calendar_new"),
    path("calendars/<int:pk>/", views.calendar, name="calendar"),
    path("calendars/<int:pk>/days/", views.calendar_days, name="calendar_days"),
    path("suppliers/", views.suppliers, name="suppliers"),
    path("suppliers/new/", views.supplier, name="supplier_new"),
    path("suppliers/<int:pk>/", views.supplier, name="supplier"),
    path("skus/", views.skus, name="skus"),
    path("skus/<int:pk>/boms/", versions.versions, {"kind": "bom"}, name="sku_boms"),
    path("skus/<int:pk>/boms/new/", versions.new_version, {"kind": "bom"}, name="bom_new"),
    path("boms/<int:pk>/", versions.bom, name="bom"),
    path("boms/<int:pk>/activate/", versions.activate, {"kind": "bom"}, name="bom_activate"),
    path("skus/<int:pk>/routings/", versions.versions, {"kind": "routing"}, name="sku_routings"),
    path(
        "skus/<int:pk>/routings/new/",
        versions.new_version,
        {"kind": "routing"},
        name="routing_new",
    ),
    path("routings/<int:pk>/", versions.routing, name="routing"),
    path(
        "routings/<int:pk>/activate/",
        versions.activate,
        {"kind": "routing"},
        name="routing_activate",
    ),
    path("workbook/", views.workbook, name="workbook"),
    path("workbook/export/", views.export, name="export"),
]
