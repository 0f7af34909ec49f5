from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from omnioms.web import jobs, order_actions, settings_views, views

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
    path("orders/bulk/", views.order_bulk, name="order_bulk"),
    path("orders/bulk/ship/", views.order_bulk_ship, name="order_bulk_ship"),
    path("orders/export.xlsx", views.order_export, name="order_export"),
    path("orders/exports/", views.order_exports, name="order_exports"),
    path(
        "orders/exports/<int:pk>/download/",
        views.order_export_download,
        name="order_export_download",
    ),
    path("orders/exports/<int:pk>/cancel/", views.order_export_cancel, name="order_export_cancel"),
    path("orders/<int:pk>/notes/", views.order_add_note, name="order_add_note"),
    path("orders/<int:pk>/shipments/", views.order_ship, name="order_ship"),
    path("orders/<int:pk>/actions/<slug:action>/", order_actions.order_action, name="order_action"),
    path("jobs/<int:pk>/", jobs.job_status, name="job_status"),
    path("jobs/<int:pk>/cancel/", jobs.job_cancel, name="job_cancel"),
    path("dead-letters/", views.dead_letter_list, name="dead_letter_list"),
    path("dead-letters/<int:pk>/", views.dead_letter_detail, name="dead_letter_detail"),
    path("dead-letters/<int:pk>/body/", views.dead_letter_body, name="dead_letter_body"),
    path("dead-letters/<int:pk>/replay/", views.dead_letter_replay, name="dead_letter_replay"),
    path("dead-letters/<int:pk>/dismiss/", views.dead_letter_dismiss, name="dead_letter_dismiss"),
    # Settings a manager owns (settings_views.py).
    path("settings/", settings_views.settings_home, name="settings"),
    path("settings/accounts/", settings_views.account_list, name="settings_accounts"),
    path("settings/accounts/new/", settings_views.account_create, name="settings_account_new"),
    path(
        "settings/accounts/<slug:name>/edit/", settings_views.account_edit, name="settings_account"
    ),
    path(
        "settings/accounts/<slug:name>/stock-rule/",
        settings_views.stock_rule_edit,
        name="settings_stock_rule",
    ),
    path("settings/users/", settings_views.user_list, name="settings_users"),
    path("settings/users/new/", settings_views.user_create, name="settings_user_new"),
    path(
        "settings/users/<int:pk>/active/",
        settings_views.user_set_active,
        name="settings_user_active",
    ),
    path(
        "settings/users/<int:pk>/password/",
        settings_views.user_password,
        name="settings_user_password",
    ),
]
