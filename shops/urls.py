from django.urls import path

from . import views, views_keys

app_name = "shops"

urlpatterns = [
    path("", views.shop_list, name="list"),
    path("add/", views.shop_add, name="add"),
    path("<int:pk>/", views.shop_detail, name="detail"),
    path("<int:pk>/section-1/", views.section1, name="section1"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/open/", views.set_open, name="set_open"),
    path("<int:pk>/live/", views.set_live, name="set_live"),
    path("<int:pk>/history/", views.history, name="history"),
    path("<int:pk>/logo/", views.logo, name="logo"),
    path("<int:pk>/keys/", views_keys.keys, name="keys"),
    path("<int:pk>/keys/create/", views_keys.create, name="key_create"),
    path("<int:pk>/keys/<int:key_pk>/roll/", views_keys.roll, name="key_roll"),
    path("<int:pk>/keys/<int:key_pk>/revoke/", views_keys.revoke, name="key_revoke"),
]
