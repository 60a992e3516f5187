"""The API's schema, its guide and its explorers (the project's URLconf mounts them under /api/)."""

from __future__ import annotations

from django.urls import path

from creditapp.api import docs

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs.docs, name="api-docs"),
    path("docs/swagger/", docs.SwaggerView.as_view(), name="api-docs-swagger"),
    path("docs/redoc/", docs.RedocView.as_view(), name="api-docs-redoc"),
]
