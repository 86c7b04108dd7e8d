"""Symmetric encryption for secrets the portal must read back (TOTP keys, webhook secrets)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from django.conf import settings

_PREFIX = "fernet:"


def _fernet() -> Fernet:
    key = settings.ENCRYPTION_KEY or f"inecopay-encryption:{settings.SECRET_KEY}"
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def encrypt(text: str) -> str:
    return _PREFIX + _fernet().encrypt(text.encode()).decode()


def decrypt(stored: str) -> str:
    """The plain text of `encrypt`'s output; a value stored before encryption is returned as is."""
    if not stored.startswith(_PREFIX):
        return stored
    return _fernet().decrypt(stored[len(_PREFIX) :].encode()).decode()
