from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from payments.api import api_not_found, api_urls

from . import views

handler500 = "inecopay.errors.server_error"

# Staff sign in through allauth like everyone else: its rate limits and two-factor step apply.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    # First: the API and the hosted form are the busiest URLs, and every pattern tried
    # before a match costs each of their requests.
    path("api/v1/", api_urls()),
    path("api/v1/<path:rest>", api_not_found),
    path("pay/", include("payments.form_urls")),
    path("", views.landing, name="landing"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("allauth.urls")),
    path("", include("merchants.urls")),
    path("shops/", include("shops.urls")),
    path("shops/<int:pk>/webhooks/", include("payments.shop_urls")),
    path("integration/api/", include("payments.urls")),
    path("integration/", include("integration.urls")),
    path("documents/", include("documents.urls")),
    path("exports/", include("exports.urls")),
    path("transactions/", include("transactions.urls")),
    path("reports/subscriptions/", include("subscriptions.urls")),
    path("reports/", include("reports.urls")),
    path("reconciliation/", include("settlements.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("dev/outbox/", views.outbox_list, name="dev_outbox"),
    path("dev/outbox/clear/", views.outbox_clear, name="dev_outbox_clear"),
    path("dev/outbox/<str:message_id>/", views.outbox_detail, name="dev_outbox_detail"),
    path("dev/outbox/<str:message_id>/html/", views.outbox_html, name="dev_outbox_html"),
    path(
        "dev/outbox/<str:message_id>/attachments/<int:index>/",
        views.outbox_attachment,
        name="dev_outbox_attachment",
    ),
    path("admin/", admin.site.urls),
]
