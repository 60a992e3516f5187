"""System check: every DRF view in the URLconf sets the tenant from DRF's own authentication."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.checks import Error, register
from django.urls import URLPattern, URLResolver, get_resolver

from creditapp.tenancy.api import is_tenant_view


def _views(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern.callback


@register()
def api_views_set_the_tenant(app_configs: Any, **kwargs: Any) -> list[Error]:
    return [
        Error(
            f"{route}: {getattr(view, 'cls', view).__name__} is a DRF view without TenantAPIViewMixin",
            hint="Subclass a view from creditapp.tenancy.api so the tenant follows DRF's authentication.",
            id="tenancy.E001",
        )
        for route, view in _views(get_resolver().url_patterns)
        if not is_tenant_view(view)
    ]
