"""The API's documentation pages: the guide, Swagger UI and Redoc, all from our own origin under a
strict Content-Security-Policy (no CDN, no inline scripts or styles, no 'unsafe-*')."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

GUIDE, SWAGGER, REDOC = "/api/docs/", "/api/docs/swagger/", "/api/docs/redoc/"


class Page(HTMLParser):
    """What a page loads: its scripts (with their nonce and inline body), stylesheets and style use."""

    def __init__(self, html: str):
        super().__init__()
        self.scripts: list[dict[str, Any]] = []
        self.stylesheets: list[str] = []
        self.inline_styles = 0  # <style> elements and style="" attributes
        self.links: list[str] = []
        self._script: dict[str, Any] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if "style" in attr or tag == "style":
            self.inline_styles += 1
        if tag == "script":
            self._script = {"src": attr.get("src"), "nonce": attr.get("nonce"), "body": ""}
            self.scripts.append(self._script)
        elif tag == "link" and attr.get("rel") == "stylesheet":
            self.stylesheets.append(attr.get("href") or "")
        elif tag == "a" and attr.get("href"):
            self.links.append(attr["href"] or "")

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script["body"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._script = None


def policy(response: Any) -> dict[str, list[str]]:
    directives = (part.strip().split() for part in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


@pytest.fixture(autouse=True)
def static_from_finders(settings: Any) -> None:
    settings.WHITENOISE_USE_FINDERS = True  # serve from the apps' static/ (read when the handler starts)
    settings.WHITENOISE_AUTOREFRESH = True


@pytest.mark.parametrize("url", [GUIDE, SWAGGER, REDOC])
def test_each_page_renders_under_a_strict_policy(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 200
    csp = policy(response)
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert [s for s in csp["style-src"] if not s.startswith("'nonce-")] == ["'self'"]
    assert "unsafe" not in response["Content-Security-Policy"]
    assert "http" not in " ".join(csp["script-src"] + csp["style-src"] + csp["connect-src"])
    page = Page(response.content.decode())
    assert page.inline_styles == 0
    assert page.scripts and all(script["src"] and not script["body"].strip() for script in page.scripts)
    assert all(href.startswith("/static/") for href in page.stylesheets)
    assert {GUIDE, SWAGGER, REDOC, "/api/schema/"} <= set(page.links) | {url}


@pytest.mark.parametrize("url", [SWAGGER, REDOC])
def test_the_explorers_load_only_our_own_files_and_every_one_is_served(url: str) -> None:
    client = Client()
    page = Page(client.get(url).content.decode())
    sources = [script["src"] for script in page.scripts] + page.stylesheets
    vendor = [src for src in sources if src.startswith("/static/drf_spectacular_sidecar/")]
    assert vendor, sources
    for src in sources:
        assert src.startswith(("/static/", url)), src  # our static files, or this view's start-up script
        asset = client.get(src)
        assert asset.status_code == 200, src
        if src.endswith(".js") or "script" in src:
            assert asset["Content-Type"].startswith(("application/javascript", "text/javascript")), src


def test_swagger_starts_from_a_separate_script_that_reads_our_schema() -> None:
    page = Page(Client().get(SWAGGER).content.decode())
    start = Client().get(page.scripts[-1]["src"])
    assert start.status_code == 200 and start["Content-Type"].startswith("application/javascript")
    assert 'url: "/api/schema/"' in start.content.decode()
    assert "worker-src" not in policy(start)


def test_redoc_hands_its_nonce_to_the_styles_it_writes_and_may_search_in_a_worker() -> None:
    response = Client().get(REDOC)
    csp = policy(response)
    page = Page(response.content.decode())
    [nonce] = [
        s.removeprefix("'nonce-").removesuffix("'") for s in csp["style-src"] if s.startswith("'nonce-")
    ]
    start = page.scripts[-1]
    assert start["nonce"] == nonce and start["src"] == f"{REDOC}?script"
    assert csp["worker-src"] == ["blob:"]
    script = Client().get(start["src"])
    body = script.content.decode()
    assert "document.currentScript" in body and '"/api/schema/"' in body
    # Only Redoc's page is widened, and a fresh nonce each time.
    assert "'nonce-" not in Client().get(GUIDE)["Content-Security-Policy"]
    assert "worker-src" not in policy(Client().get(SWAGGER))
    assert nonce not in Client().get(REDOC)["Content-Security-Policy"]


def test_the_guide_covers_keys_errors_paging_limits_retries_the_feed_and_webhooks() -> None:
    html = Client().get(GUIDE).content.decode()
    for anchor in (
        "keys",
        "errors",
        "pagination",
        "rate-limits",
        "idempotency",
        "changes",
        "webhooks",
        "reference",
    ):
        assert f'id="{anchor}"' in html, anchor
    for fact in (
        "Authorization: Bearer",
        "Read only",
        "Read and write",
        '"error"',
        "page_size",
        "500",
        "RateLimit-Remaining",
        "Retry-After",
        "Idempotency-Key",
        "/transactions/changes/",
        "next_cursor",
        "has_more",
        "transactions.changed",
        "alert.created",
        "connection.needs_attention",
        "credit.report_ready",
        "webhook-signature",
        "Webhook(",
        ".verify(",
        "curl ",
        "import httpx",
    ):
        assert fact in html, fact
    # The endpoint reference is rendered from the schema itself.
    assert "/api/v1/transactions/{id}/" in html and 'class="method method-get"' in html


def test_the_guide_quotes_the_rate_limits_in_force(settings: Any) -> None:
    settings.API_RATE_LIMITS = {
        **settings.API_RATE_LIMITS,
        "pro": {"read": "321/min", "write": "7/min", "sync": "2/hour"},
    }
    html = Client().get(GUIDE).content.decode()
    assert "321/min" in html and "7/min" in html and "2/hour" in html
