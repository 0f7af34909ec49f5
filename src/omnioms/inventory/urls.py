from django.urls import path

from omnioms.inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.stock_list, name="stock_list"),
    path("availability/", views.availability, name="availability"),
    path("alerts/", views.alerts, name="alerts"),
    path("backorders/", views.backorders, name="backorders"),
    path("receive/", views.receive, name="receive"),
    path("adjust/", views.adjust, name="adjust"),
    path("transfer/", views.transfer, name="transfer"),
    path("<str:sku>/<slug:location>/", views.stock_detail, name="stock_detail"),
]
