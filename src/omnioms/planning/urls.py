from django.urls import path

from omnioms.planning import views

app_name = "planning"
urlpatterns = [
    path("requirements/", views.requirements, name="requirements"),
    path("requirements/<int:pk>/", views.requirements_run, name="requirements_run"),
    path("planned/<int:pk>/release/", views.release, name="release"),
    path("planned/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
]
