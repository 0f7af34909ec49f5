from django.urls import path

from omnioms.floor import benchmark_views, kpi_views, pages, views

app_name = "floor"
urlpatterns = [
    path("tablet/", views.tablet, name="tablet"),
    path("tablet/find/", views.find_job, name="find_job"),
    path("tablet/<str:code>/", views.tablet_queue, name="tablet_queue"),
    path("jobs/<int:pk>/", views.tablet_job, name="tablet_job"),
    path("jobs/<int:pk>/ticket.pdf", views.ticket, name="ticket"),
    path("work-centers/<str:code>/tickets.pdf", views.queue_tickets, name="queue_tickets"),
    path("upload/", views.upload, name="upload"),
    path("upload/template.xlsx", views.upload_template, name="upload_template"),
    path("closes/", pages.closes, name="closes"),
    path("closes/<str:day>/", pages.close_day, name="close_day"),
    path("closes/<str:day>/close.<str:fmt>", pages.close_export, name="close_export"),
    path("exceptions/", pages.exception_list, name="exceptions"),
    path("exceptions/escalate/", pages.escalate_now, name="escalate_now"),
    path("exceptions/<int:pk>/", pages.exception_detail, name="exception"),
    path("notifications/", pages.notifications, name="notifications"),
    path("kpi/", kpi_views.dashboard, name="kpi"),
    path("benchmarks/", benchmark_views.benchmarks, name="benchmarks"),
    path("kpi/<str:figure>/", kpi_views.drill, name="kpi_drill"),
]
