from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from omnioms.web import views

app_name = "web"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="web:order_list"), name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            template_name="web/login.html", redirect_authenticated_user=True
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("orders/", views.order_list, name="order_list"),
    path("orders/<int:pk>/", views.order_detail, name="order_detail"),
    path("orders/<int:pk>/notes/", views.order_add_note, name="order_add_note"),
    path("orders/<int:pk>/shipments/", views.order_ship, name="order_ship"),
    path("dead-letters/", views.dead_letter_list, name="dead_letter_list"),
    path("dead-letters/<int:pk>/", views.dead_letter_detail, name="dead_letter_detail"),
    path("dead-letters/<int:pk>/body/", views.dead_letter_body, name="dead_letter_body"),
    path("dead-letters/<int:pk>/replay/", views.dead_letter_replay, name="dead_letter_replay"),
    path("dead-letters/<int:pk>/dismiss/", views.dead_letter_dismiss, name="dead_letter_dismiss"),
]
