from allauth.mfa.adapter import DefaultMFAAdapter

from creditapp import crypto


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted, like every other secret at rest."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
