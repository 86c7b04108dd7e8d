from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)

pytestmark = pytest.mark.django_db


def test_totp_secret_is_stored_encrypted_and_still_validates(owner):
    secret = generate_totp_secret()
    totp = TOTP.activate(owner, secret)
    stored = Authenticator.objects.get(pk=totp.instance.pk).data["secret"]
    assert secret not in stored
    assert stored.startswith("fernet:")
    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    assert TOTP(Authenticator.objects.get(pk=totp.instance.pk)).validate_code(code)


def test_mfa_page_is_reachable_for_a_member(owner_client):
    assert owner_client.get("/accounts/2fa/").status_code == 200
