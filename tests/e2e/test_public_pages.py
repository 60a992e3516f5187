"""The public pages in a real browser: content, layout on desktop and phone, no CSP or script errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.accounts.factories import PASSWORD
from tests.e2e.browser import DESKTOP, PHONE, BrowserPage

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

SIZES = {"desktop": DESKTOP, "phone": PHONE}
OpenPage = Callable[..., BrowserPage]


def check_home(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_contain_text("Know your credit.")
    expect(page.get_by_role("link", name="Start your 14-day free trial")).to_be_visible()
    expect(page.get_by_role("heading", name="Everything about your money, in one view")).to_be_visible()
    expect(page.get_by_role("heading", name="Your financial data stays yours")).to_be_visible()


def check_pricing(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Simple plans. Start free.")
    for plan in ("Free trial", "Basic", "Pro", "Family"):
        expect(page.get_by_role("heading", name=plan, exact=True)).to_be_visible()
    basic = page.get_by_role("region", name="Basic")
    expect(basic.locator(".price:visible")).to_have_text("$6/ month")
    # The billing toggle is CSS only: picking "Yearly" swaps every price.
    page.locator("label[for=billing-yearly]").click()
    expect(basic.locator(".price:visible")).to_have_text("$60/ year")
    expect(page.get_by_role("region", name="Pro").locator(".price:visible")).to_have_text("$120/ year")
    expect(page.get_by_role("heading", name="Compare plans")).to_be_visible()


def check_login(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome back")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password")).to_be_visible()
    expect(page.get_by_role("link", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    expect(page.get_by_role("link", name="Start your free trial")).to_be_visible()


def check_signup(page: Page) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Create your account")
    expect(page.get_by_label("Email")).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_label("Password (again)")).to_be_visible()
    expect(page.get_by_role("button", name="Create account")).to_be_visible()
    expect(page.get_by_role("link", name="Log in").last).to_be_visible()
    expect(page.get_by_role("heading", name="What the free trial includes")).to_be_visible()


PAGES = {
    "home": ("home", check_home),
    "pricing": ("pricing", check_pricing),
    "login": ("account_login", check_login),
    "signup": ("account_signup", check_signup),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", PAGES)
def test_public_page(live_server, sandbox_url, open_page: OpenPage, name: str, size: str) -> None:
    url_name, check = PAGES[name]
    browser_page = open_page(viewport=SIZES[size])
    page = browser_page.page
    response = page.goto(live_server.url + reverse(url_name))
    assert response is not None and response.ok

    check(page)
    browser_page.save_screenshot(f"{name}-{size}")
    assert not browser_page.has_horizontal_overflow(), "the page scrolls sideways"
    assert browser_page.errors == []


def test_phone_menu_opens_and_marks_the_current_page(live_server, sandbox_url, open_page: OpenPage) -> None:
    browser_page = open_page(viewport=PHONE)
    page = browser_page.page
    page.goto(live_server.url + reverse("pricing"))
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_hidden()

    page.get_by_role("button", name="Menu").click()
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="Pricing")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Log in")).to_be_visible()
    browser_page.save_screenshot("menu-phone")

    page.keyboard.press("Escape")
    expect(nav).to_be_hidden()
    assert browser_page.errors == []


def test_desktop_nav_and_skip_link(live_server, open_page: OpenPage) -> None:
    browser_page = open_page(viewport=DESKTOP, color_scheme="dark")
    page = browser_page.page
    page.goto(live_server.url + reverse("home"))
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Pricing")).to_be_visible()
    expect(nav.get_by_role("link", name="Start free trial")).to_be_visible()

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    browser_page.save_screenshot("home-desktop-dark")
    assert browser_page.errors == []


def test_signup_lands_on_verify_your_email(live_server, open_page: OpenPage, mailoutbox) -> None:
    cache.clear()  # allauth's signup rate limit lives in the cache
    browser_page = open_page(viewport=PHONE)
    page = browser_page.page
    page.goto(live_server.url + reverse("account_signup"))

    page.get_by_label("Email").fill("new.person@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(live_server.url + reverse("account_email_verification_sent"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    expect(page.get_by_role("status").first).to_contain_text("new.person@example.com")
    browser_page.save_screenshot("verify-email-phone")
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["new.person@example.com"]
    assert browser_page.errors == []


def test_signup_shows_field_errors(live_server, open_page: OpenPage) -> None:
    cache.clear()
    browser_page = open_page(viewport=DESKTOP)
    page = browser_page.page
    page.goto(live_server.url + reverse("account_signup"))

    page.get_by_label("Email").fill("someone@example.com")
    page.get_by_label("Password", exact=True).fill("1234567890")
    page.get_by_label("Password (again)").fill("1234567890")
    page.get_by_role("button", name="Create account").click()

    password = page.get_by_label("Password", exact=True)
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_password1_error")).to_contain_text("too common")
    browser_page.save_screenshot("signup-errors-desktop")
    assert browser_page.errors == []


def test_htmx_requests_carry_the_csrf_token(live_server, open_page: OpenPage) -> None:
    cache.clear()
    browser_page = open_page()
    page = browser_page.page
    page.goto(live_server.url + reverse("account_login"))
    # A POST through htmx: Django answers 403 unless static/js/app.js added the X-CSRFToken header.
    status = page.evaluate(
        """([url, values]) => new Promise((resolve) => {
            document.body.addEventListener(
                "htmx:afterRequest", (event) => resolve(event.detail.xhr.status), {once: true}
            );
            htmx.ajax("POST", url, {target: "#main", swap: "none", values});
        })""",
        [reverse("account_login"), {"login": "nobody@example.com", "password": "wrong"}],
    )
    assert status == 200
    assert browser_page.errors == []


def test_pricing_says_what_billing_grants() -> None:
    """The plan cards and the comparison table follow billing/plans.py: banks, credit refresh, paid extras."""
    from django.conf import settings
    from django.test import Client

    from billing.plans import BASIC, FAMILY, PRO, TRIAL

    html = Client().get(reverse("pricing")).content.decode()
    cards = {
        code: html.split(f'id="plan-{code}"')[1].split("</section>")[0]
        for code in ("trial", "basic", "pro", "family")
    }
    for plan in (TRIAL, BASIC, PRO, FAMILY):
        assert f"Up to {plan.max_institutions} banks and cards" in cards[plan.code], plan.code
        assert all(f"<li>{line}</li>" in cards[plan.code] for line in plan.feature_lines()), plan.code
    assert "monthly" in cards["trial"] and "monthly" in cards["basic"] and "weekly" in cards["pro"]
    assert TRIAL.credit_refresh == BASIC.credit_refresh == "monthly" and PRO.credit_refresh == "weekly"
    assert (
        "REST API" in cards["pro"]
        and "REST API" not in cards["basic"]
        and PRO.api_access
        and not BASIC.api_access
    )
    table = html.split('id="compare-title"')[1]
    banks = table.split("Linked banks and cards</th>")[1].split("</tr>")[0]
    assert [f"Up to {p.max_institutions}" in banks for p in (TRIAL, BASIC, PRO, FAMILY)] == [True] * 4
    assert f"{settings.TRIAL_DAYS} days" in cards["trial"]
