"""Browser fixtures: Playwright's sync API driving Debian's Chromium against pytest-django's live_server.

Chromium comes from Debian (`apt-get install -y chromium`; CI's .ci/run installs it), never from
`playwright install`. Without it these tests fail with a message saying so: they are not skipped.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.conftest import ROOT
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, DESKTOP, BrowserPage

# Playwright's sync API keeps an asyncio event loop running in the main thread for the whole
# session, and Django refuses ORM calls (the test database flush included) while one runs.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}. Browser tests drive Debian's Chromium: "
            "run `apt-get install -y chromium` (or set CHROMIUM_PATH). Do not use `playwright install`.",
            pytrace=False,
        )
    if not (ROOT / "static" / "vendor" / "htmx.min.js").exists():
        pytest.fail("static/vendor/ is empty: run `bash static/build.sh` (make test does).", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(sandbox_url: str, live_server):  # type: ignore[no-untyped-def]
    """pytest-django's live server, with the vendor sandbox running: the pages it serves send the browser
    there ("Connect a bank", Checkout)."""
    return live_server


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., BrowserPage]]:
    """open_page(viewport=PHONE, color_scheme="dark") → a fresh BrowserPage with its own cookies."""
    contexts = []

    def open_(
        viewport: dict[str, int] = DESKTOP, color_scheme: Literal["light", "dark"] = "light"
    ) -> BrowserPage:
        context = browser.new_context(viewport=viewport, color_scheme=color_scheme)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return BrowserPage(context.new_page())

    yield open_
    for context in contexts:
        context.close()
