from django.urls import path

from . import views

app_name = "integration"

urlpatterns = [
    path("", views.index, name="index"),
    path("modules/<slug:slug>/", views.module_detail, name="module"),
    path("modules/<slug:slug>/<str:version>/download/", views.download, name="download"),
    path("shops/<int:pk>/", views.shop_guide, name="shop_guide"),
]
