"""What a personal API key may do: a read-only key reads; writing needs a read-write key.

A request signed in by session (the API docs' "try it", the web app's own scripts) is its owner acting
in person, so it is not narrowed by any key.
"""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts.models import ApiKey


class KeyScopeAllows(BasePermission):
    message = "This API key is read-only: create a read-write key to change data."
    code = "insufficient_scope"

    def has_permission(self, request: Request, view: Any) -> bool:
        key = request.auth
        if not isinstance(key, ApiKey) or request.method in SAFE_METHODS:
            return True
        return key.can_write
