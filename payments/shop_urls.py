"""A shop's webhooks tab, under /shops/<pk>/webhooks/."""

from django.urls import path

from . import webhook_views

app_name = "webhooks"

urlpatterns = [
    path("", webhook_views.log, name="log"),
    path("<int:delivery_pk>/resend/", webhook_views.resend, name="resend"),
    path("test/", webhook_views.send_test, name="test"),
]
