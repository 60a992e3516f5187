"""The REST API's OpenAPI schema, its guide and its two explorers (the project's urls mount them beside
/api/v1/).

Everything comes from our own origin under the site's Content-Security-Policy: Swagger UI and Redoc
are drf-spectacular-sidecar's static files, and their start-up scripts are separate URLs of the same
views (`?script`) rather than inline code. Redoc alone gets two more sources, on its own page only:
a nonce for the styles it writes at run time, and `blob:` workers for its search.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from csp.constants import NONCE
from csp.decorators import csp_update
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.html import conditional_escape, format_html_join
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.request import Request
from rest_framework.response import Response

from creditapp.api.idempotency import KEEP_SECONDS, MAX_KEY_LENGTH
from creditapp.api.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from creditapp.tenancy.api import TenantAPIViewMixin

METHODS = ("get", "post", "put", "patch", "delete")
BACKTICKED = re.compile(r"`([^`]+)`")


@extend_schema_view(get=extend_schema(exclude=True))
class SchemaView(TenantAPIViewMixin, SpectacularAPIView):
    """The OpenAPI schema. Public (it describes, it holds no data), and a tenancy view like every API view."""


@extend_schema_view(get=extend_schema(exclude=True))
class SwaggerView(TenantAPIViewMixin, SpectacularSwaggerSplitView):
    """Swagger UI: try the API in the browser with your key ("Authorize")."""

    url_name = "api-schema"
    template_name = "api/swagger_ui.html"
    title = f"{settings.SITE_NAME} API · Swagger UI"


@method_decorator(csp_update({"style-src": [NONCE], "worker-src": ["blob:"]}), name="dispatch")
@extend_schema_view(get=extend_schema(exclude=True))
class RedocView(TenantAPIViewMixin, SpectacularRedocView):
    """Redoc: the reference to read. Its styles are written at run time and carry this page's nonce,
    which its start-up script (`?script`) reads from its own script element. Two things stay blocked,
    on purpose: the scrollbar styles its bundle writes as it loads (before any nonce is known; Redoc
    runs with native scrollbars, which need none) and the Redocly logo from their CDN."""

    url_name = "api-schema"
    template_name = "api/redoc.html"
    script_template_name = "api/redoc.js"
    title = f"{settings.SITE_NAME} API · Redoc"

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.GET.get("script") is not None:
            return Response(
                {"schema_url": self._get_schema_url(request)},
                template_name=self.script_template_name,
                content_type="application/javascript",
            )
        return super().get(request, *args, **kwargs)  # type: ignore[no-any-return]


def _prose(text: str) -> SafeString:
    """A schema description as HTML: escaped, with its `backticked` names as code."""
    pieces = BACKTICKED.split(text)  # prose, code, prose, …, prose
    coded = format_html_join("", "{}<code>{}</code>", zip(pieces[0::2], pieces[1::2], strict=False))
    return SafeString(coded + conditional_escape(pieces[-1]))


def _reference(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema's operations grouped by tag, in the schema's order, for the guide's reference."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for route, operations in schema.get("paths", {}).items():
        for method in METHODS:
            operation = operations.get(method)
            if operation is None:
                continue
            parameters = [
                {
                    "name": p.get("name"),
                    "in": p.get("in"),
                    "required": p.get("required", False),
                    "type": (p.get("schema") or {}).get("format") or (p.get("schema") or {}).get("type", ""),
                    "description": _prose(p.get("description", "")),
                }
                for p in operation.get("parameters", [])
            ]
            tag = (operation.get("tags") or ["other"])[0]
            groups[tag].append(
                {
                    "id": operation.get("operationId", f"{method}-{route}"),
                    "method": method.upper(),
                    "path": route,
                    "description": _prose(operation.get("description", "")),
                    "parameters": parameters,
                    "responses": [
                        {"code": code, "description": response.get("description", "")}
                        for code, response in operation.get("responses", {}).items()
                    ],
                }
            )
    return [{"tag": tag, "title": tag.replace("-", " ").replace("_", " ").capitalize(), "operations": ops}
            for tag, ops in groups.items()]  # fmt: skip


def _paths_matching(schema: dict[str, Any], fragment: str) -> list[str]:
    return [route for route in schema.get("paths", {}) if fragment in route]


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """The guide: how to authenticate, page, retry, mirror and verify, with curl and Python, then the
    endpoint reference rendered on the server from the same schema the explorers read."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    limits = settings.API_RATE_LIMITS
    context = {
        "schema": schema,
        "reference": _reference(schema),
        "api_base": f"{settings.SITE_URL}/api/v1",
        "default_page_size": DEFAULT_PAGE_SIZE,
        "max_page_size": MAX_PAGE_SIZE,
        "idempotency_hours": KEEP_SECONDS // 3600,
        "idempotency_key_length": MAX_KEY_LENGTH,
        "rate_limits": [
            {"plan": plan.capitalize(), **limits[plan]} for plan in ("pro", "family") if plan in limits
        ],
        "webhook_paths": _paths_matching(schema, "/webhooks/"),
    }
    return render(request, "api/guide.html", context)
