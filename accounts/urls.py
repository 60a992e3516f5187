"""Account pages of our own (allauth's are included separately); the project includes this at /accounts/."""

from django.urls import path

from accounts.api import pages

app_name = "accounts"
urlpatterns = [
    path("api-keys/", pages.api_keys, name="api-keys"),
    path("api-keys/new/", pages.api_key_new, name="api-key-create"),
    path("api-keys/<int:pk>/revoke/", pages.api_key_remove, name="api-key-revoke"),
]
