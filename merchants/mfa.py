"""Two-factor secrets are stored encrypted, never in the clear (allauth's hook does nothing)."""

from __future__ import annotations

from allauth.mfa.adapter import DefaultMFAAdapter

from inecopay.lib import crypto


class MFAAdapter(DefaultMFAAdapter):
    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
