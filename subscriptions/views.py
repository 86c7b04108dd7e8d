"""«Подписка на отчеты»: the member's list, add, edit, pause, delete; the public links."""

from django.http import Http404


def _not_yet(request, **kwargs):
    raise Http404


subscription_list = subscription_add = subscription_edit = subscription_pause = _not_yet
subscription_resume = subscription_resend = subscription_delete = confirm = unsubscribe = _not_yet
