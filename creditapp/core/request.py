from __future__ import annotations

import ipaddress

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse


def user_id(request: HttpRequest) -> int:
    """The signed-in tenant's id (views behind login_required)."""
    if not request.user.is_authenticated or request.user.pk is None:
        raise PermissionDenied("sign in first")
    return int(request.user.pk)


def client_ip(request: HttpRequest) -> str | None:
    """The address the request came from, for the audit log and consent records.

    With TRUSTED_PROXY_COUNT proxies in front of the app, the address the outermost of them appended
    to X-Forwarded-For (entries further left are whatever the client sent); without, REMOTE_ADDR.
    allauth's rate limits follow the same setting. None when that entry is missing or not an address.
    """
    candidate: str | None = request.META.get("REMOTE_ADDR")
    if settings.TRUSTED_PROXY_COUNT:
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        candidate = hops[-settings.TRUSTED_PROXY_COUNT] if len(hops) >= settings.TRUSTED_PROXY_COUNT else None
    try:
        return str(ipaddress.ip_address(candidate or ""))
    except ValueError:
        return None


def url_or_none(name: str) -> str | None:
    """The URL of a page another part of the app may not have built yet."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return None
