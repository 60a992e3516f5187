"""The webhooks settings page, at /app/settings/webhooks/. The project's urls wrap every view here in
the sign-in and plan gate (API access), which this app cannot import."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from notifications import webhook_views as views

app_name = "webhooks"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.webhook_list, name="list"),
    path("new/", views.webhook_create, name="create"),
    path("<int:pk>/", views.webhook_detail, name="detail"),
    path("<int:pk>/deliveries/", views.webhook_deliveries, name="deliveries"),
    path("<int:pk>/test/", views.webhook_test, name="test"),
    path("<int:pk>/rotate-secret/", views.webhook_rotate_secret, name="rotate-secret"),
    path("<int:pk>/delete/", views.webhook_delete, name="delete"),
]
