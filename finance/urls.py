from django.urls import path

from finance import settings_page
from finance.banking import account_views, views
from finance.credit import views as credit_views
from finance.imports import views as import_views
from finance.insights import transaction_views
from finance.insights import views as dashboard_views
from finance.onboarding import views as onboarding_views

app_name = "finance"
urlpatterns = [
    # Bank connections (Plaid Link and the items behind them)
    path("connections/", views.connection_list, name="connections"),
    path("connections/new/", views.connection_new, name="connection-new"),
    path("connections/callback/", views.link_callback, name="link-callback"),
    path("connections/<int:pk>/", views.connection_status, name="connection-status"),
    path("connections/<int:pk>/relink/", views.connection_relink, name="connection-relink"),
    path("connections/<int:pk>/sync/", views.connection_sync, name="connection-sync"),
    path("connections/<int:pk>/remove/", views.connection_remove, name="connection-remove"),
    # Credit reports
    path("credit/", credit_views.credit_overview, name="credit"),
    path("credit/consent/", credit_views.credit_consent, name="credit-consent"),
    path("credit/consent/withdraw/", credit_views.credit_consent_withdraw, name="credit-consent-withdraw"),
    path("credit/refresh/", credit_views.credit_refresh, name="credit-refresh"),
    path("credit/reports/<int:pk>/", credit_views.credit_report_detail, name="credit-report"),
    # Dashboard, accounts, transactions, import, onboarding, settings
    path("", dashboard_views.dashboard, name="dashboard"),
    path("sync-status/", dashboard_views.sync_status, name="sync-status"),
    path("accounts/", account_views.account_list, name="accounts"),
    path("accounts/<int:pk>/", account_views.account_detail, name="account-detail"),
    path("transactions/", transaction_views.transaction_list, name="transactions"),
    path("transactions/export.csv", transaction_views.transaction_export, name="transactions-export"),
    path(
        "transactions/<int:pk>/category/", transaction_views.transaction_category, name="transaction-category"
    ),
    path("import/", import_views.import_upload, name="import"),
    path("import/<int:pk>/", import_views.import_review, name="import-review"),
    path("import/<int:pk>/status/", import_views.import_status, name="import-status"),
    path("welcome/", onboarding_views.onboarding, name="onboarding"),
    path("welcome/<slug:step>/", onboarding_views.onboarding_step, name="onboarding-step"),
    path("settings/", settings_page.settings_page, name="settings"),
    path("settings/rules/<int:pk>/delete/", settings_page.rule_delete, name="rule-delete"),
]
