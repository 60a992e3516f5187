from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings

from creditapp.core import crypto


@dataclass(frozen=True)
class PublicSite:
    """What allauth's email templates call `current_site`: the site as its public URL names it."""

    name: str
    domain: str


def public_site() -> PublicSite:
    return PublicSite(name=settings.SITE_NAME, domain=urlsplit(settings.SITE_URL).netloc)


def public_url(url: str, request_host: str | None) -> str:
    """`url` on SITE_URL when it points at this site (a path, or the host the request came in on)."""
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request_host:
        return url
    if not parts.path.startswith("/"):
        return url
    return settings.SITE_URL + urlunsplit(("", "", parts.path, parts.query, parts.fragment))


class AccountAdapter(DefaultAccountAdapter):
    """allauth's emails name the site and link to it as SITE_NAME and SITE_URL say. Without this they
    would use the request's host (`127.0.0.1:8101`, a proxy's internal name) for both."""

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        request = self.request
        host = request.get_host() if request is not None else None
        links = {
            key: public_url(value, host)
            for key, value in context.items()
            if key.endswith("_url") and isinstance(value, str)
        }
        branded = {**context, **links, "current_site": public_site(), "site_url": settings.SITE_URL}
        super().send_mail(template_prefix, email, branded)


class MFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are stored encrypted, like every other secret at rest."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
