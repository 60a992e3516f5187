"""The REST API's OpenAPI schema and its docs page (the project's urls mount them beside /api/v1/)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView

from creditapp.tenancy.api import TenantAPIViewMixin


@extend_schema_view(get=extend_schema(exclude=True))
class SchemaView(TenantAPIViewMixin, SpectacularAPIView):
    """The OpenAPI schema. Public (it describes, it holds no data), and a tenancy view like every API view."""


def _endpoints(schema: dict[str, Any]) -> list[dict[str, Any]]:
    endpoints = []
    for route, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            parameters = [
                {
                    "name": p.get("name"),
                    "in": p.get("in"),
                    "required": p.get("required", False),
                    "type": (p.get("schema") or {}).get("type", ""),
                    "description": p.get("description", ""),
                }
                for p in operation.get("parameters", [])
            ]
            endpoints.append(
                {
                    "method": method.upper(),
                    "path": route,
                    "description": operation.get("description", ""),
                    "parameters": parameters,
                }
            )
    return endpoints


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """Human-readable docs rendered on the server from the same schema (no third-party scripts: the
    Content-Security-Policy allows our own origin only)."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return render(request, "accounts/api_docs.html", {"schema": schema, "endpoints": _endpoints(schema)})
