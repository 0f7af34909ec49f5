from django.urls import path

from omnioms.forecasting import views

app_name = "forecasting"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("sku/<str:code>/", views.sku_page, name="sku"),
    path("family/<str:code>/", views.family_page, name="family"),
    path("schedule/", views.schedule, name="schedule"),
    path("accuracy/", views.accuracy, name="accuracy"),
    path("sales/", views.sales_grid, name="sales"),
    path("sales/upload/", views.sales_upload, name="sales_upload"),
    path("sales/download/", views.sales_download, name="sales_download"),
    path("events/", views.events, name="events"),
    path("events/<int:pk>/delete/", views.event_delete, name="event_delete"),
]
