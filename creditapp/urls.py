from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import URLPattern, URLResolver, include, path

from accounts import views as account_views
from billing import views as billing_views
from billing.api.views import MeView, SubscriptionView
from billing.decorators import entitlement_required
from creditapp import health, views
from finance.banking import views as finance_views
from notifications import webhook_urls


def _api_access_pages(patterns: list[URLPattern | URLResolver]) -> list[URLPattern | URLResolver]:
    """Every page of a module behind sign-in and the API-access plan gate (as the API keys page's
    actions are): webhooks come with the API."""
    gated: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern):
            raise TypeError("gate pages, not nested includes")
        view = login_required(entitlement_required("api_access")(pattern.callback))
        gated.append(URLPattern(pattern.pattern, view, pattern.default_args, pattern.name))
    return gated


# Our own account pages (allauth's are included beside them).
account_pages: list[URLPattern | URLResolver] = [
    path("api-keys/", account_views.api_keys, name="api-keys"),
    path(
        "api-keys/new/",
        login_required(entitlement_required("api_access")(account_views.api_key_new)),
        name="api-key-create",
    ),
    path("api-keys/<int:pk>/revoke/", account_views.api_key_remove, name="api-key-revoke"),
]

# The REST API (Pro and Family plans), under /api/v1/.
api_v1: list[URLPattern | URLResolver] = [
    path("me/", MeView.as_view(), name="me"),
    path("subscription/", SubscriptionView.as_view(), name="subscription"),
    path("", include("finance.api.changes")),  # before transactions/<id>/
    path("", include("finance.api.urls")),
    path("", include("finance.api.credit")),
    path("", include("finance.api.connections")),
    path("", include("notifications.api.alerts")),
    path("", include("notifications.api.webhooks")),
]
api: list[URLPattern | URLResolver] = [
    path("v1/", include((api_v1, "api-v1"))),
    path("", include("creditapp.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("pricing/", billing_views.pricing, name="pricing"),
    path("health", health.live, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("accounts/", include((account_pages, "accounts"))),  # allauth's paths don't clash
    path("accounts/", include("allauth.urls")),
    path("app/alerts/", include("notifications.urls")),
    path(
        "app/settings/webhooks/",
        include((_api_access_pages(webhook_urls.urlpatterns), webhook_urls.app_name)),
    ),
    path("app/", include("finance.urls")),
    path("billing/", include("billing.urls")),
    path("api/", include(api)),
    path("webhooks/plaid", finance_views.plaid_webhook, name="plaid-webhook"),
]

handler404 = "creditapp.views.not_found"
handler500 = "creditapp.views.server_error"
