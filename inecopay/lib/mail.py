"""Templated emails: subject, text and HTML bodies rendered in the recipient's language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def render_mail(
    template: str, context: dict, language: str | None = None
) -> EmailMultiAlternatives:
    """Build the message from emails/<template>_subject.txt, _body.txt and optional _body.html."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        text = render_to_string(f"emails/{template}_body.txt", context)
        try:
            html = render_to_string(f"emails/{template}_body.html", context)
        except TemplateDoesNotExist:
            html = None
    message = EmailMultiAlternatives(subject=" ".join(subject.split()), body=text)
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send_templated_mail(
    *, template: str, to: list[str], context: dict, language: str | None = None
) -> None:
    """Send once the surrounding transaction commits, so a rollback sends nothing."""
    message = render_mail(template, context, language)
    message.to = to

    def _send() -> None:
        try:
            message.send()
        except Exception:  # a mail server outage must not undo or fail the user's action
            logger.exception("could not send %s mail to %s", template, to)

    transaction.on_commit(_send)
