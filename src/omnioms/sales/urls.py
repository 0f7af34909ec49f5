from django.urls import path

from omnioms.sales import views

app_name = "sales"
urlpatterns = [
    path("orders/new/", views.order_entry, name="order_entry"),
    path("counter/", views.counter, name="counter"),
    path("counter/scan/", views.counter_scan, name="counter_scan"),
    path("counter/line/", views.counter_line, name="counter_line"),
    path("counter/customers/", views.counter_customers, name="counter_customers"),
    path("counter/checkout/", views.counter_checkout, name="counter_checkout"),
    path("counter/orders/<int:pk>/", views.counter_receipt, name="counter_receipt"),
    path("orders/<int:pk>/invoice/", views.order_invoice_issue, name="order_invoice"),
    path("orders/<int:pk>/payments/", views.order_payment, name="order_payment"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
]
urlpatterns += [
    path("inquiries/", views.inquiry_list, name="inquiry_list"),
    path("quotes/", views.quote_list, name="quote_list"),
]
urlpatterns += [
    path("inquiries/<int:pk>/", views.inquiry_detail, name="inquiry_detail"),
    path("quotes/<int:pk>/", views.quote_detail, name="quote_detail"),
    path("quotes/<int:pk>/revise/", views.quote_revise, name="quote_revise"),
    path("quotes/<int:pk>/approve/", views.quote_approve, name="quote_approve"),
    path("quotes/<int:pk>/send/", views.quote_send, name="quote_send"),
    path("quotes/<int:pk>/accept/", views.quote_accept, name="quote_accept"),
    path("quotes/<int:pk>/decline/", views.quote_decline, name="quote_decline"),
    path("quotes/<int:pk>/v<int:version>.pdf", views.quote_pdf, name="quote_pdf"),
    path("q/<str:token>/", views.quote_public, name="quote_public"),
]
