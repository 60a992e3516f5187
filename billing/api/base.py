from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request

from accounts.api.authentication import ApiKeyAuthentication
from billing.permissions import HasApiAccess


class ProApiMixin:
    """For every /api/v1/ view: a personal API key or the session, and a plan with API access.

    Put it before the tenancy base class: `class V(ProApiMixin, TenantAPIView)`.
    """

    authentication_classes: Sequence[type[BaseAuthentication]] = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes: Sequence[Any] = [IsAuthenticated, HasApiAccess]


def api_user_id(request: Request) -> int:
    """The authenticated caller's id: the tenant every query also filters by explicitly."""
    if not request.user or not request.user.is_authenticated or request.user.pk is None:
        raise NotAuthenticated()
    return int(request.user.pk)
