from django.urls import path

from omnioms.planning import schedule_views, views

app_name = "planning"
urlpatterns = [
    path("requirements/", views.requirements, name="requirements"),
    path("requirements/<int:pk>/", views.requirements_run, name="requirements_run"),
    path("planned/<int:pk>/release/", views.release, name="release"),
    path("planned/<int:pk>/dismiss/", views.dismiss, name="dismiss"),
    path("plans/", schedule_views.plans, name="plans"),
    path("plans/<int:pk>/", schedule_views.plan_detail, name="plan"),
    path("plans/<int:pk>/gantt/", schedule_views.gantt, name="gantt"),
    path("plans/<int:pk>/gantt.json", schedule_views.gantt_data, name="gantt_data"),
    path("plans/<int:pk>/move/", schedule_views.move, name="move"),
    path(
        "plans/<int:pk>/<str:action>/",
        schedule_views.plan_action,
        name="plan_action",
    ),
    path("orders/", schedule_views.production_orders, name="orders"),
    path("orders/<int:pk>/", schedule_views.production_order, name="order"),
    path("weights/", schedule_views.weights, name="weights"),
    path("rush/", schedule_views.rush_list, name="rush_list"),
    path("rush/<int:pk>/", schedule_views.rush_detail, name="rush"),
    path("rush/<int:pk>/<str:action>/", schedule_views.rush_action, name="rush_action"),
    path("promise/", schedule_views.promise, name="promise"),
]
