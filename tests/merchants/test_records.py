"""Tariff acceptances and contact confirmations are records of consent: written once."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from merchants.models import ContactConfirmation, Tariff, TariffAcceptance
from merchants.services import tariff_accept
from tests.factories import reauthenticated

pytestmark = pytest.mark.django_db


@pytest.fixture
def acceptance(merchant, owner) -> TariffAcceptance:
    tariff = Tariff.objects.current()
    return tariff_accept(
        merchant=merchant, tariff=tariff, by=owner, ip="192.0.2.10", user_agent="pytest"
    )


def test_tariff_acceptance_cannot_be_changed_or_deleted(acceptance):
    acceptance.ip = "192.0.2.99"
    with pytest.raises(ValidationError):
        acceptance.save()
    with pytest.raises(ValidationError):
        acceptance.delete()
    acceptance.refresh_from_db()
    assert acceptance.ip == "192.0.2.10"


def test_accepting_the_same_version_twice_keeps_the_first_record(acceptance, merchant, owner):
    again = tariff_accept(
        merchant=merchant, tariff=acceptance.tariff, by=owner, ip="192.0.2.11", user_agent="x"
    )
    assert again.pk == acceptance.pk
    assert TariffAcceptance.objects.filter(merchant=merchant).count() == 1


def test_contact_confirmation_cannot_be_changed(merchant, owner):
    record = ContactConfirmation.objects.create(
        merchant=merchant,
        kind=ContactConfirmation.Kind.PHONE,
        value="+37410123456",
        method=ContactConfirmation.Method.SMS_CODE,
        confirmed_by=owner,
    )
    record.value = "+37499999999"
    with pytest.raises(ValidationError):
        record.save()
    with pytest.raises(ValidationError):
        record.delete()


def test_password_can_be_changed_in_settings(owner_client, owner):
    from tests.factories import PASSWORD

    response = owner_client.post(
        reverse("account_change_password"),
        {
            "oldpassword": PASSWORD,
            "password1": "Another-long-pass-77",
            "password2": "Another-long-pass-77",
        },
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password("Another-long-pass-77")


def test_email_change_sends_a_verification_to_the_new_address(owner_client, owner, mailoutbox):
    reauthenticated(owner_client, owner)  # changing addresses asks for the password again
    response = owner_client.post(
        reverse("account_email"), {"action_add": "", "email": "new.address@example.am"}
    )
    assert response.status_code == 302
    assert any(m.to == ["new.address@example.am"] for m in mailoutbox)
    owner.refresh_from_db()
    # The old address stays in use until the new one is confirmed.
    assert owner.email != "new.address@example.am"
