from django.urls import path

from omnioms.flows import views

app_name = "flows"
urlpatterns = [
    path("", views.flow_list, name="list"),
    path("<int:account_id>/", views.flow_edit, name="edit"),
    path("<int:account_id>/sandbox/", views.flow_sandbox, name="sandbox"),
    path("<int:account_id>/publish/", views.flow_publish, name="publish"),
]
