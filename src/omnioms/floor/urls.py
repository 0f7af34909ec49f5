from django.urls import path

from omnioms.floor import views

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
]
