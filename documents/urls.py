from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("", views.document_list, name="list"),
    path("<slug:code>/upload/", views.upload, name="upload"),
    path("files/<str:public_id>/", views.file_download, name="file"),
    path("files/<str:public_id>/preview/", views.file_preview, name="preview"),
]
