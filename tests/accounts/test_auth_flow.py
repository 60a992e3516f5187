from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import Client

from accounts.models import AuditEntry
from creditapp.tenancy.db import tenant_context
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_rate_limits() -> None:
    cache.clear()


def test_signup_verify_login_logout_through_the_real_views() -> None:
    client = Client()
    response = client.post(
        "/accounts/signup/",
        {"email": "New.Person@Example.com", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = get_user_model().objects.get(email="new.person@example.com")
    assert user.password.startswith("argon2")

    # Mandatory verification: no login until the address is confirmed.
    response = client.post("/accounts/login/", {"login": "new.person@example.com", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session

    assert len(mail.outbox) >= 1
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    confirm_page = client.get(link.group(1))
    assert confirm_page.status_code == 200
    assert "Confirm" in confirm_page.content.decode()
    client.post(link.group(1))

    client.logout()
    response = client.post("/accounts/login/", {"login": "new.person@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/app/settings/").status_code == 200  # signed in: the app answers

    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session
    assert client.get("/app/settings/").status_code == 302  # signed out: back to login

    with tenant_context(user.pk):
        trail = list(
            AuditEntry.objects.filter(user_id=user.pk).order_by("id").values_list("action", flat=True)
        )
    assert trail == ["auth.email_confirmed", "auth.login", "auth.logout", "auth.login", "auth.logout"]


def test_wrong_password_is_refused_with_a_clear_message() -> None:
    user = UserFactory()
    response = Client().post("/accounts/login/", {"login": user.email, "password": "not-the-password"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()


def test_failed_logins_are_rate_limited() -> None:
    user = UserFactory()
    client = Client()
    pages = [
        client.post("/accounts/login/", {"login": user.email, "password": f"wrong-{i}"}).content.decode()
        for i in range(6)
    ]
    assert all("Too many failed login attempts" not in page for page in pages[:5])
    assert "Too many failed login attempts" in pages[5]
    # Even the right password is refused until the window passes.
    right = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "Too many failed login attempts" in right.content.decode()
    assert "_auth_user_id" not in client.session


def test_behind_a_proxy_the_client_is_who_the_proxy_saw(settings) -> None:  # type: ignore[no-untyped-def]
    """With TRUSTED_PROXY_COUNT=1 the audit log records, and the per-address login limit counts, the
    address the proxy appended to X-Forwarded-For; what the client wrote there itself is ignored."""
    settings.TRUSTED_PROXY_COUNT = settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    attacker = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7, 198.51.100.1")
    pages = [
        attacker.post(
            "/accounts/login/", {"login": f"guess-{i}@example.com", "password": "x"}
        ).content.decode()
        for i in range(11)
    ]
    assert "Too many failed login attempts" not in pages[9] and "Too many failed login attempts" in pages[10]

    user = UserFactory()
    person = Client(**proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")  # forged by the attacker above: not them
    person.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert "_auth_user_id" in person.session  # the attacker's lock-out is theirs alone
    with tenant_context(user.pk):
        login = AuditEntry.objects.get(user_id=user.pk, action="auth.login")
    assert login.ip_address == "203.0.113.7"


def test_without_a_trusted_proxy_forwarded_headers_are_ignored() -> None:
    from django.test import RequestFactory

    from creditapp.core.request import client_ip

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "192.0.2.10"


def test_password_reset_sends_a_working_link() -> None:
    user = UserFactory()
    client = Client()
    assert client.post("/accounts/password/reset/", {"email": user.email}).status_code == 302
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+)", str(mail.outbox[-1].body))
    assert link
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    new_password = "a-brand-new-passphrase-42"
    done = client.post(
        form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password}
    )
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password(new_password)


def test_auth_pages_use_the_site_layout() -> None:
    for url in ("/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"):
        html = Client().get(url).content.decode()
        assert 'class="topbar"' in html and "css/app.css" in html, url
