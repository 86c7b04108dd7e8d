from django.urls import path

from . import views

app_name = "transactions"

urlpatterns = [
    path("", views.payment_list, name="list"),
    path("<str:public_id>/", views.payment_detail, name="detail"),
    path("<str:public_id>/refund/", views.payment_refund, name="refund"),
]
