"""DRF authentication by personal API key: `Authorization: Bearer ck_<prefix>_<secret>`.

Whether the key's owner may use the API is the plan's permission (billing.permissions.HasApiAccess,
a default for every API view), checked on every request once the tenant is the owner: a key stops
working the moment Pro ends and works again on resubscribing.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

from accounts.api_keys import TOKEN_PREFIX, api_key_check
from accounts.models import ApiKey, User
from creditapp.core.request import client_ip


class ApiKeyAuthentication(BaseAuthentication):
    keyword = b"bearer"

    def authenticate(self, request: Request) -> tuple[User, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword:
            return None  # not ours: let the next class (session) try
        if len(header) != 2:
            raise AuthenticationFailed(
                "Invalid Authorization header: expected `Bearer ck_<prefix>_<secret>`.",
                code="invalid_api_key",
            )
        try:
            token = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("Invalid API key.") from None
        if not token.startswith(f"{TOKEN_PREFIX}_"):
            raise AuthenticationFailed("Invalid API key.")
        key = api_key_check(token, ip=client_ip(request))
        if key is None or not key.owner.is_active:
            raise AuthenticationFailed("Invalid or revoked API key.", code="invalid_api_key")
        if key.is_expired:
            raise AuthenticationFailed("This API key has expired: create a new one.", code="api_key_expired")
        return key.owner, key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    target_class = "accounts.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "ck_<prefix>_<secret>",
            "description": "A personal API key from /accounts/api-keys/ (Pro and Family plans).",
        }
