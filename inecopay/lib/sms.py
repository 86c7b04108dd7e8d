"""Sending SMS through a pluggable backend.

SMS_BACKEND names a class with `send(to: str, text: str) -> None`. The default keeps
every message in the dev outbox (next to the emails), so codes can be read at
/dev/outbox/ and by the tests; a production provider is another class set by setting.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate

from django.conf import settings
from django.utils.module_loading import import_string

from .outbox import store_raw_message


class OutboxSmsBackend:
    """Writes the SMS to the dev outbox as a message marked `X-Inecopay-Channel: sms`."""

    def send(self, to: str, text: str) -> None:
        message = EmailMessage()
        message["From"] = "SMS Inecopay"
        message["To"] = to
        message["Subject"] = f"SMS → {to}"
        message["Date"] = formatdate(localtime=False)
        message["X-Inecopay-Channel"] = "sms"
        message.set_content(text)
        store_raw_message(message.as_bytes())


def send_sms(*, to: str, text: str) -> None:
    backend_class = import_string(settings.SMS_BACKEND)
    backend_class().send(to, text)
