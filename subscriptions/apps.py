from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    # Translators: «Подписка на отчеты» in the merchant guide.
    verbose_name = _("Report subscriptions")
