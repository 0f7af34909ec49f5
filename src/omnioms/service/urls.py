from django.urls import path

from omnioms.service import dashboard, views

app_name = "service"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("available/", views.set_available, name="available"),
    path("search/", views.search_page, name="search"),
    path("log/", views.log_contact, name="log_contact"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("customers/<int:customer_id>/", views.customer_page, name="customer"),
    path("tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:ticket_id>/answer/", views.answer, name="answer"),
    path("tickets/<int:ticket_id>/change/", views.change, name="change"),
    path("tickets/<int:ticket_id>/merge/", views.merge, name="merge"),
    path("tickets/<int:ticket_id>/orders/", views.link_order, name="link_order"),
    path(
        "tickets/<int:ticket_id>/orders/<int:order_id>/action/",
        views.order_action,
        name="order_action",
    ),
    path(
        "tickets/<int:ticket_id>/attachments/<int:attachment_id>/",
        views.attachment,
        name="attachment",
    ),
    path(
        "tickets/<int:ticket_id>/media/<int:media_id>/retry/",
        views.retry_media,
        name="retry_media",
    ),
]
