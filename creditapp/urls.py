from django.contrib import admin
from django.urls import include, path

from billing import views as billing_views
from creditapp import health, views
from finance.views import banking as finance_views

urlpatterns = [
    path("", views.home, name="home"),
    path("pricing/", billing_views.pricing, name="pricing"),
    path("health", health.live, name="health"),
    path("health/ready", health.ready, name="health-ready"),
    path("admin/", admin.site.urls),
    path("accounts/", include("accounts.urls")),  # API keys; allauth's paths don't clash
    path("accounts/", include("allauth.urls")),
    path("app/", include("finance.urls")),
    path("billing/", include("billing.urls")),
    path("api/", include("creditapp.api_urls")),
    path("webhooks/plaid", finance_views.plaid_webhook, name="plaid-webhook"),
]
