"""The whole journey in a real browser, on a desktop and on a phone: sign up, confirm the email, set up,
link the sandbox bank through its Link page, see the dashboard's charts, find and recategorise
transactions, import a CSV with its progress bar, and log out. A real Celery worker runs the bank sync
and the import. Screenshots of every step: test-artifacts/e2e/journey-<size>-<nn>-<step>.png."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from tests.accounts.factories import PASSWORD
from tests.e2e.browser import DESKTOP, PHONE, BrowserPage

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

OpenPage = Callable[..., BrowserPage]
SYNC_TIMEOUT_MS = 90_000
BANK_CSV = (
    "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    "DEBIT,10/16/2026,CORNER CAFE NYC,-4.50,DEBIT_CARD,1000.00,,\n"
    "DEBIT,10/17/2026,CITY BOOKSHOP,-23.99,DEBIT_CARD,976.01,,\n"
    'CREDIT,10/15/2026,ACME PAYROLL,"2,500.00",ACH_CREDIT,1004.50,,\n'
)


class Journey:
    def __init__(self, browser_page: BrowserPage, base_url: str, size: str):
        self.browser_page, self.page, self.base_url, self.size = (
            browser_page,
            browser_page.page,
            base_url,
            size,
        )
        self.step = 0

    def shot(self, name: str, focus: Locator | None = None) -> None:
        """Screenshot the step, and check the page never scrolls sideways and logged no error of ours.

        With `focus`, a phone's shot is the screen scrolled to it (a long list as one image is too tall
        to read); otherwise the whole page."""
        self.step += 1
        if focus is not None:
            focus.scroll_into_view_if_needed()
        full = focus is None or self.size == "desktop"
        self.browser_page.save_screenshot(f"journey-{self.size}-{self.step:02d}-{name}", full_page=full)
        assert not self.browser_page.has_horizontal_overflow(), (
            f"{name}: the page scrolls sideways: {self.browser_page.wider_than_the_screen()}"
        )
        ours = [e for e in self.browser_page.errors if self.base_url in e or e.startswith("uncaught")]
        assert ours == [], f"{name}: {ours}"

    def settle(self) -> None:
        """Wait until htmx has no request in flight (it marks the element that sent one), twice over, so a
        swap that triggers another request is waited for as well."""
        for _ in range(2):
            self.page.wait_for_timeout(300)
            self.page.wait_for_function("() => !document.querySelector('.htmx-request')")

    def nav(self, name: str) -> None:
        """Follow a main-menu link (through the menu button on a phone)."""
        if self.size == "phone":
            self.page.get_by_role("button", name="Menu").click()
        self.page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()

    def chart_drawn(self, chart: str) -> bool:
        return bool(
            self.page.evaluate(
                "(id) => { const c = document.querySelector(`canvas[data-chart='${id}']`);"
                " return !!(c && window.Chart && Chart.getChart(c) && c.width > 0); }",
                chart,
            )
        )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_whole_journey(
    size: str, live_server, open_page: OpenPage, mailoutbox, celery_worker_process, settings, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    settings.SITE_URL = live_server.url  # Link sends the browser back here
    browser_page = open_page(viewport=DESKTOP if size == "desktop" else PHONE)
    journey = Journey(browser_page, live_server.url, size)
    page: Page = journey.page
    email = f"journey-{size}-{uuid4().hex[:8]}@example.com"  # allauth rate-limits mail per address

    # 1. Sign up, then confirm the address from the email.
    page.goto(live_server.url + reverse("account_signup"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password (again)").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    journey.shot("verify-email")
    [message] = [m for m in mailoutbox if m.to == [email]]
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message.body)
    assert link is not None, message.body
    page.goto(live_server.url + urlsplit(link.group(0)).path)
    page.get_by_role("button", name="Confirm").click()

    # 2. The wizard: details first (the first login lands here).
    expect(page).to_have_url(re.compile(r"/app/welcome/profile/$"))
    expect(page.get_by_text("Step 1 of 4")).to_be_visible()
    page.get_by_label("Your name").fill("Journey Tester")
    page.get_by_label("Time zone").select_option("America/New_York")
    page.get_by_label("Currency").select_option("USD")
    journey.shot("setup-details")
    page.get_by_role("button", name="Continue").click()

    # 3. Connect a bank: our page → the sandbox's Link page → back through the callback.
    expect(page.get_by_text("Step 2 of 4")).to_be_visible()
    journey.shot("setup-bank")
    page.get_by_role("button", name="Connect a bank").click()
    expect(page.get_by_role("heading", name="Select your bank")).to_be_visible()
    page.get_by_label("First Platypus Bank").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/app/connections/$"))
    expect(page.get_by_text("First Platypus Bank is connected")).to_be_visible()
    journey.shot("bank-connected")

    # 4. Back to the wizard from the banner; skip the credit report, keep the trial.
    page.get_by_role("link", name="Continue setup").click()
    expect(page.get_by_text("Step 3 of 4")).to_be_visible()
    page.get_by_role("button", name="Skip for now").click()
    expect(page.get_by_text("Step 4 of 4")).to_be_visible()
    journey.shot("setup-plan")
    page.get_by_role("button", name="Continue with the free trial").click()

    # 5. The dashboard fills in when the worker's sync finishes (the page reloads itself).
    expect(page).to_have_url(live_server.url + "/app/")
    expect(page.locator("canvas[data-chart='category-chart']")).to_be_attached(timeout=SYNC_TIMEOUT_MS)
    page.wait_for_function("() => !document.querySelector('#sync-line[hx-get]')", timeout=SYNC_TIMEOUT_MS)
    for _ in range(30):  # card statements arrive with the liabilities task, just after the sync
        if page.locator(".due-list").count():
            break
        page.wait_for_timeout(1000)
        page.reload()
    page.wait_for_function("() => window.Chart !== undefined")
    assert journey.chart_drawn("category-chart") and journey.chart_drawn("trend-chart")
    expect(page.locator(".kpi-value").first).to_contain_text("$")
    expect(page.locator(".util-bar").first).to_be_visible()
    expect(page.locator(".due-list li").first).to_be_visible()
    expect(page.get_by_text("Finish setting up", exact=True)).to_be_visible()  # the skipped credit step
    page.wait_for_timeout(1200)  # Chart.js's opening animation
    journey.shot("dashboard")

    # 6. Transactions: search, then filter.
    journey.nav("Transactions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Transactions")
    search = page.get_by_role("searchbox", name="Search transactions")
    search.fill("starbucks")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"q=starbucks"))
    journey.settle()
    rows = page.locator("tr.txn")
    expect(rows.first).to_be_visible()
    names = rows.locator(".txn-name").all_inner_texts()
    assert names and all(name == "Starbucks" for name in names), names
    page.get_by_text("Filters and sort").click()
    page.get_by_label("Min amount (USD)").fill("5")
    page.get_by_label("Direction").select_option("out")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"min=5"))
    journey.settle()  # each change refreshes the list too: let the last one land
    amounts = [
        float(a.replace("-$", "").replace(",", "")) for a in rows.locator(".txn-amount").all_inner_texts()
    ]
    assert amounts and min(amounts) >= 5, amounts
    journey.shot("transactions-filtered", focus=page.locator(".txn-summary"))

    # 7. Recategorise one, and every similar one with a rule.
    rows.first.locator(".chip").click()
    form = page.locator("form.cat-form")
    expect(form).to_be_visible()
    form.get_by_label("Category").select_option("FOOD_AND_DRINK_RESTAURANT")
    form.get_by_label(re.compile("Also all")).check()
    journey.shot("recategorise", focus=form)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#txn-status")).to_contain_text("similar transactions updated")
    expect(rows.first.locator(".chip")).to_contain_text("Restaurant")
    expect(page.locator(".chip-source").first).to_be_visible()
    journey.settle()  # the list reloads itself after a rule changed other rows
    journey.shot("recategorised", focus=page.locator("#txn-status"))

    # 8. Import a CSV: upload, check the columns, watch it import.
    csv_file = tmp_path / "bank-export.csv"
    csv_file.write_text(BANK_CSV)
    page.goto(live_server.url + reverse("finance:import"))
    page.get_by_label("CSV file").set_input_files(str(csv_file))
    page.get_by_label("Import into").select_option("new")
    page.get_by_label("Name of the new account").fill("Credit union checking")
    page.get_by_role("button", name="Upload and check").click()
    expect(page.get_by_role("heading", name="Check the columns")).to_be_visible()
    expect(page.get_by_text("3 transactions", exact=True)).to_be_visible()
    journey.shot("import-review")
    page.get_by_role("button", name="Import 3 transactions").click()
    expect(page.locator("#import-status")).to_be_visible()
    journey.shot("import-progress")
    expect(page.get_by_text("3 transactions imported")).to_be_visible(timeout=30_000)
    journey.shot("import-done")
    page.get_by_role("link", name="See the transactions").click()
    expect(page.locator("tr.txn")).to_have_count(3)
    expect(page.get_by_text("ACME PAYROLL")).to_be_visible()

    # 9. Log out.
    if size == "phone":
        page.get_by_role("button", name="Menu").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    journey.shot("logged-out")
