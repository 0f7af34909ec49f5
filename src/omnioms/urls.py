from django.contrib import admin
from django.urls import include, path

from omnioms.api_v1 import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("inventory/", include("omnioms.inventory.urls")),
    path("production/", include("omnioms.production.urls")),
    path("channels/", include("omnioms.sync.urls")),
    path("forecasting/", include("omnioms.forecasting.urls")),
    path("planning/", include("omnioms.planning.urls")),
    path("sales/", include("omnioms.sales.urls")),
    path("service/", include("omnioms.service.urls")),
    path("floor/", include("omnioms.floor.urls")),
    path("simulation/", include("omnioms.simulation.urls")),
    path("flows/", include("omnioms.flows.urls")),
    path("", include("omnioms.web.urls")),
]

handler403 = "omnioms.web.errors.permission_denied"
handler404 = "omnioms.web.errors.page_not_found"
handler500 = "omnioms.web.errors.server_error"
