"""The bases of every /api/v1/ view.

Authentication (a personal API key or the session), the plan and key-scope checks and the rate limits
come from REST_FRAMEWORK's defaults in settings, which name the classes of the apps above. Here:
the order they run in, rate-limit headers on every answer, `Idempotency-Key`, and querysets that
always start from the caller's own rows.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import generics, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from creditapp.api.idempotency import Claim, idempotency_claim, idempotency_settle
from creditapp.api.throttling import window_of
from creditapp.core.request import user_id
from creditapp.tenancy.api import TenantAPIViewMixin


class _Replay(Exception):
    def __init__(self, response: Response):
        self.response = response


class ApiViewMixin(TenantAPIViewMixin):
    """Authenticate, count the request against its rate limit (bad keys too, per address), then check
    permissions: a caller hammering with a wrong key is slowed down like anyone else."""

    _idempotency: Claim | None = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.format_kwarg = self.get_format_suffix(**kwargs)  # type: ignore[attr-defined]
        neg = self.perform_content_negotiation(request)  # type: ignore[attr-defined]
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)  # type: ignore[attr-defined]
        request.version, request.versioning_scheme = version, scheme
        try:
            self.perform_authentication(request)
        finally:
            self.check_throttles(request)  # type: ignore[attr-defined]
        self.check_permissions(request)  # type: ignore[attr-defined]
        claim = idempotency_claim(request)
        if isinstance(claim, Response):
            raise _Replay(claim)
        self._idempotency = claim

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)

    def finalize_response(self, request: Request, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        if self._idempotency is not None and isinstance(response, Response):
            idempotency_settle(self._idempotency, response)
            self._idempotency = None
        window = window_of(request)
        if window is not None:
            for name, value in window.headers().items():
                response[name] = value
            if response.status_code == 429:
                response["Retry-After"] = str(window.reset)
        return response


class ApiView(ApiViewMixin, APIView):
    pass


class ApiGenericView(ApiViewMixin, generics.GenericAPIView):  # type: ignore[type-arg]
    pass


class TenantScopedMixin(ApiViewMixin):
    """`get_queryset` always starts from the caller's own rows (`queryset.for_user`), so a new
    endpoint cannot forget the filter: subclasses narrow and sort in `safely_get_queryset`. A view
    that truly needs something else overrides `dangerously_get_queryset`, and says why."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise TypeError(
                f"{cls.__name__} overrides get_queryset: narrow the caller's rows in safely_get_queryset, "
                "or name the exception dangerously_get_queryset"
            )

    def get_queryset(self) -> QuerySet[Any]:
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return self.queryset.none()  # type: ignore[attr-defined]
        return self.dangerously_get_queryset()

    def dangerously_get_queryset(self) -> QuerySet[Any]:
        mine = self.queryset.all().for_user(user_id(self.request))  # type: ignore[attr-defined]
        return self.safely_get_queryset(mine)

    def safely_get_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset


class TenantReadOnlyModelViewSet(TenantScopedMixin, viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    pass


class TenantGenericViewSet(TenantScopedMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Compose with DRF's mixins (ListModelMixin, RetrieveModelMixin, …) for the operations a resource has."""


class TenantModelViewSet(TenantScopedMixin, viewsets.ModelViewSet):  # type: ignore[type-arg]
    pass
