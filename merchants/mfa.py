"""Two-factor secrets are stored encrypted, never in the clear (allauth's hook does nothing)."""

from __future__ import annotations

import base64
import hashlib

from allauth.mfa.adapter import DefaultMFAAdapter
from cryptography.fernet import Fernet
from django.conf import settings

_PREFIX = "fernet:"


def _fernet() -> Fernet:
    key = settings.MFA_ENCRYPTION_KEY or f"inecopay-mfa:{settings.SECRET_KEY}"
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return _PREFIX + _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            return encrypted_text
        return _fernet().decrypt(encrypted_text[len(_PREFIX) :].encode()).decode()
