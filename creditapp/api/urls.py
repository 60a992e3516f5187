"""The API's schema and documentation pages (the project's URLconf mounts them under /api/)."""

from __future__ import annotations

from django.urls import path

from creditapp.api import docs

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="api-schema"),
    path("docs/", docs.docs, name="api-docs"),
]
