"""The Content-Security-Policy in a real browser: a form post may lead to the vendor page it redirects to.

Chrome checks every redirect that answers a form post against `form-action`. Here the vendor sandbox
stands on another origin than the app, and the browser reaches it at another address than the server
does (as under Docker: the web container calls `sandbox:8765`, the browser opens `localhost:8765`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.accounts.factories import PASSWORD, UserFactory
from tests.e2e.browser import BrowserPage

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

OpenPage = Callable[..., BrowserPage]


@pytest.fixture
def public_sandbox_url(sandbox_url: str, settings) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The sandbox as the browser reaches it (`localhost`), while the server calls `127.0.0.1`."""
    port = urlsplit(sandbox_url).port
    settings.SANDBOX_URL = f"http://127.0.0.1:{port}"
    settings.SANDBOX_PUBLIC_URL = public = f"http://localhost:{port}"
    with httpx.Client(base_url=settings.SANDBOX_URL, timeout=30) as control:
        control.post("/_sandbox/stripe/config", json={"public_url": public}).raise_for_status()
        yield public
        control.post("/_sandbox/stripe/reset").raise_for_status()


def test_choosing_a_plan_lands_on_the_hosted_checkout_page(  # type: ignore[no-untyped-def]
    live_server, public_sandbox_url: str, open_page: OpenPage, settings
) -> None:
    settings.SITE_URL = live_server.url
    assert urlsplit(live_server.url).netloc != urlsplit(public_sandbox_url).netloc
    user = UserFactory()
    browser_page = open_page()
    page = browser_page.page

    page.goto(live_server.url + reverse("account_login"))
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
    page.goto(live_server.url + reverse("billing:plans"))
    page.get_by_role("button", name="Pro Monthly").click()

    expect(page).to_have_url(
        re.compile(rf"^{re.escape(public_sandbox_url)}/_sandbox/stripe/checkout/cs_test_")
    )
    expect(page.get_by_role("button", name="Pay")).to_be_visible()
    # The sandbox's page is not ours to judge (it has no favicon); any policy violation and any error
    # on our pages are.
    ours = [e for e in browser_page.errors if "Content Security Policy" in e or live_server.url in e]
    assert ours == []
