from django.urls import path

from omnioms.simulation import views

app_name = "simulation"
urlpatterns = [
    path("", views.runs, name="runs"),
    path("<int:pk>/", views.run, name="run"),
    path("<int:pk>/files/<str:name>", views.report_file, name="file"),
]
