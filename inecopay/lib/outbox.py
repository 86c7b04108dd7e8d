"""The dev outbox: every message the portal sends, kept as an .eml file to read in the browser.

With no EMAIL_URL the portal "sends" mail by writing it here, so a newcomer can follow an
activation link without any SMTP server; the web server and the Celery worker share the
folder, so mail sent by either shows up at /dev/outbox/.
"""

from __future__ import annotations

import email
import email.policy
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage as MimeMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

_ID = re.compile(r"^[0-9]{8}T[0-9]{12}-[0-9a-f]{12}$")


def outbox_dir() -> Path:
    folder = Path(settings.OUTBOX_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def store_raw_message(raw: bytes) -> str:
    """Keep one RFC 822 message in the outbox; returns its id."""
    folder = outbox_dir()
    name = f"{timezone.now():%Y%m%dT%H%M%S%f}-{secrets.token_hex(6)}"
    temporary = folder / f".{name}.tmp"
    temporary.write_bytes(raw)
    # Renamed into place so that a reader never sees half a message.
    temporary.rename(folder / f"{name}.eml")
    return name


class OutboxEmailBackend(BaseEmailBackend):
    """Stores each message as OUTBOX_DIR/<time>-<random>.eml instead of sending it."""

    def send_messages(self, email_messages) -> int:
        sent = 0
        for message in email_messages:
            if not message.recipients():
                continue
            store_raw_message(message.message().as_bytes(linesep="\n"))
            sent += 1
        return sent


@dataclass
class Attachment:
    filename: str
    content_type: str
    payload: bytes


@dataclass
class OutboxMessage:
    id: str
    subject: str
    sender: str
    to: str
    date: datetime | None
    channel: str = "email"
    text: str = ""
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)


def _parse(message_id: str, raw: bytes) -> OutboxMessage:
    mime: MimeMessage = email.message_from_bytes(raw, policy=email.policy.default)
    parsed = OutboxMessage(
        id=message_id,
        subject=str(mime.get("Subject", "")),
        sender=str(mime.get("From", "")),
        to=str(mime.get("To", "")),
        date=parsedate_to_datetime(mime["Date"]) if mime.get("Date") else None,
        channel=str(mime.get("X-Inecopay-Channel", "email")),
    )
    text_part = mime.get_body(preferencelist=("plain",))
    html_part = mime.get_body(preferencelist=("html",))
    parsed.text = text_part.get_content() if text_part is not None else ""
    parsed.html = html_part.get_content() if html_part is not None else ""
    for part in mime.iter_attachments():
        parsed.attachments.append(
            Attachment(
                filename=part.get_filename() or "attachment",
                content_type=part.get_content_type(),
                payload=part.get_payload(decode=True) or b"",
            )
        )
    return parsed


def outbox_list(limit: int = 200) -> list[OutboxMessage]:
    """The newest messages first, headers and bodies parsed."""
    files = sorted(outbox_dir().glob("*.eml"), reverse=True)[:limit]
    return [_parse(path.stem, path.read_bytes()) for path in files]


def outbox_get(message_id: str) -> OutboxMessage | None:
    """One message by id, or None; ids are checked so no path outside the outbox is read."""
    if not _ID.match(message_id):
        return None
    path = outbox_dir() / f"{message_id}.eml"
    if not path.is_file():
        return None
    return _parse(message_id, path.read_bytes())


def outbox_clear() -> int:
    removed = 0
    for path in outbox_dir().glob("*.eml"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
