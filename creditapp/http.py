from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def user_id(request: HttpRequest) -> int:
    """The signed-in tenant's id (views behind login_required)."""
    if not request.user.is_authenticated or request.user.pk is None:
        raise PermissionDenied("sign in first")
    return int(request.user.pk)
