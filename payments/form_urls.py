"""The hosted payment form: /pay/<token>/ and its steps. Public: the token is the key."""

from django.urls import path

from . import form_views

app_name = "payform"

urlpatterns = [
    path("<str:token>/", form_views.pay, name="pay"),
    path("<str:token>/confirm/", form_views.confirm, name="confirm"),
    path("<str:token>/logo/", form_views.logo, name="logo"),
]
