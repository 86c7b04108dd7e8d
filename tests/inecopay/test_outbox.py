from __future__ import annotations

import re

import pytest
from django.core.mail import EmailMultiAlternatives, send_mail
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _send_with_attachment() -> None:
    message = EmailMultiAlternatives(
        subject="Отчёт за ноябрь",
        body="See https://portal.example.am/reports/ for details.",
        to=["accountant@example.am"],
    )
    message.attach_alternative("<p>Report <b>attached</b></p>", "text/html")
    message.attach("отчёт.csv", "date;amount\n2026-11-01;1000\n", "text/csv")
    message.send()


def test_anonymous_gets_404_outside_debug(client, outbox_backend):
    _send_with_attachment()
    assert client.get(reverse("dev_outbox")).status_code == 404


def test_merchant_gets_404_outside_debug(owner_client, outbox_backend):
    assert owner_client.get(reverse("dev_outbox")).status_code == 404


def test_staff_reads_message_with_clickable_link_and_attachment(staff_client, outbox_backend):
    _send_with_attachment()
    listing = staff_client.get(reverse("dev_outbox"))
    assert listing.status_code == 200
    assert "Отчёт за ноябрь" in listing.content.decode()
    message_id = re.search(r"/dev/outbox/([0-9T]+-[0-9a-f]+)/", listing.content.decode()).group(1)

    detail = staff_client.get(reverse("dev_outbox_detail", args=[message_id]))
    assert detail.status_code == 200
    assert '<a href="https://portal.example.am/reports/"' in detail.content.decode()

    html = staff_client.get(reverse("dev_outbox_html", args=[message_id]))
    assert html.status_code == 200
    assert html["Content-Security-Policy"].startswith("sandbox")
    assert b"<b>attached</b>" in html.content

    attachment = staff_client.get(reverse("dev_outbox_attachment", args=[message_id, 0]))
    assert attachment.status_code == 200
    assert attachment.content == b"date;amount\n2026-11-01;1000\n"
    assert "attachment" in attachment["Content-Disposition"]


def test_outbox_is_open_in_debug(client, settings, outbox_backend):
    settings.DEBUG = True
    send_mail("Hello", "Body", None, ["someone@example.am"])
    response = client.get(reverse("dev_outbox"))
    assert response.status_code == 200
    assert "Hello" in response.content.decode()


@pytest.mark.parametrize("message_id", ["../../etc/passwd", "20260101T000000000000-zzzz", "x"])
def test_outbox_rejects_ids_that_are_not_outbox_files(staff_client, outbox_backend, message_id):
    response = staff_client.get(f"/dev/outbox/{message_id}/")
    assert response.status_code == 404


def test_missing_attachment_index_is_404(staff_client, outbox_backend):
    send_mail("No files", "Body", None, ["someone@example.am"])
    message_id = re.search(
        r"/dev/outbox/([0-9T]+-[0-9a-f]+)/",
        staff_client.get(reverse("dev_outbox")).content.decode(),
    ).group(1)
    assert (
        staff_client.get(reverse("dev_outbox_attachment", args=[message_id, 3])).status_code == 404
    )


def test_clear_empties_the_outbox(staff_client, outbox_backend, settings):
    send_mail("One", "Body", None, ["someone@example.am"])
    response = staff_client.post(reverse("dev_outbox_clear"))
    assert response.status_code == 302
    assert list(settings.OUTBOX_DIR.glob("*.eml")) == []


def test_sms_lands_in_the_outbox_marked_as_sms(staff_client):
    from inecopay.lib.outbox import outbox_list
    from inecopay.lib.sms import send_sms

    send_sms(to="+37410123456", text="Inecopay code: 123456")
    [message] = outbox_list()
    assert message.channel == "sms"
    assert message.to == "+37410123456"
    assert "123456" in message.text
    listing = staff_client.get(reverse("dev_outbox")).content.decode()
    assert "SMS" in listing


def test_sms_backend_is_chosen_by_setting(settings):
    from inecopay.lib.sms import send_sms

    settings.SMS_BACKEND = "tests.inecopay.test_outbox.RecordingSms"
    send_sms(to="+37410000000", text="hello")
    assert RecordingSms.sent == [("+37410000000", "hello")]


class RecordingSms:
    sent: list[tuple[str, str]] = []

    def send(self, to: str, text: str) -> None:
        self.sent.append((to, text))
