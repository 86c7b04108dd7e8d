from django.urls import path

from . import views

app_name = "settlements"

urlpatterns = [
    path("", views.index, name="index"),
    path("lines/<slug:name>/", views.line, name="line"),
    path("days/<int:pk>/", views.settlement, name="settlement"),
]
