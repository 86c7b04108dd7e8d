from django.urls import path

from . import views

app_name = "exports"

urlpatterns = [
    path("payments/", views.payments_export, name="payments"),
    path("<str:public_id>/", views.job_detail, name="job"),
    path("<str:public_id>/status/", views.job_status, name="status"),
    path("<str:public_id>/download/", views.job_download, name="download"),
]
