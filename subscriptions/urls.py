from django.urls import path

from . import downloads, views

app_name = "subscriptions"

urlpatterns = [
    path("", views.subscription_list, name="list"),
    path("add/", views.subscription_add, name="add"),
    path("<str:public_id>/edit/", views.subscription_edit, name="edit"),
    path("<str:public_id>/pause/", views.subscription_pause, name="pause"),
    path("<str:public_id>/resume/", views.subscription_resume, name="resume"),
    path("<str:public_id>/resend/", views.subscription_resend, name="resend"),
    path("<str:public_id>/delete/", views.subscription_delete, name="delete"),
    # Public links from emails: they work without logging in.
    path("confirm/<str:token>/", views.confirm, name="confirm"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("files/<str:token>/", downloads.report_file, name="file"),
]
