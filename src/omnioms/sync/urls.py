from django.urls import path

from omnioms.sync import views

app_name = "channels"
urlpatterns = [
    path("health/", views.channel_health, name="health"),
    path("<slug:account>/mapping/", views.column_mapping, name="column_mapping"),
    path("<slug:account>/import/", views.import_orders_file, name="import_file"),
]
