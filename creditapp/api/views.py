"""The base of every /api/v1/ view. Authentication (a personal API key or the session) and the plan
check come from REST_FRAMEWORK's defaults in settings, which name the classes of the apps above."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import viewsets

from creditapp.core.request import user_id
from creditapp.tenancy.api import TenantAPIViewMixin


class TenantScopedMixin(TenantAPIViewMixin):
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
