"""Headers every response from the app carries (static files are served before this, by WhiteNoise)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Everything the app serves comes from our own origin (assets are built at install time; no CDN).
POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'; "
    "form-action {form_targets}"
)
# Where Stripe sends the browser after our Checkout and Customer Portal posts.
STRIPE_HOSTED_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def form_targets() -> list[str]:
    """Where a form post may lead. Chrome checks every redirect answering a post against form-action,
    so the vendors' hosted pages that Checkout, the Portal and "Connect a bank" redirect to are named.
    Read from settings on each call: a policy built once would go stale when they change."""
    targets = ["'self'"]
    stripe_sandbox = not settings.STRIPE_SECRET_KEY
    if not stripe_sandbox:
        targets += STRIPE_HOSTED_PAGES
    # The sandbox's Checkout and Link stand-ins, at the address the browser reaches (real Plaid Link
    # runs in a frame on our own page and posts back to us). Plaid is the sandbox without credentials,
    # as in finance.plaid; read here from settings so the project layer does not import an app.
    plaid_sandbox = not (settings.PLAID_CLIENT_ID and settings.PLAID_SECRET)
    if stripe_sandbox or plaid_sandbox:
        targets.append(_origin(settings.SANDBOX_PUBLIC_URL))
    return targets


def content_security_policy() -> str:
    return POLICY.format(form_targets=" ".join(form_targets()))


class SecurityHeadersMiddleware:
    """The Content-Security-Policy, a Permissions-Policy, and `Cache-Control: no-store`.

    Pages, exports and API responses carry people's financial data, so nothing may be kept by a
    browser or a shared cache unless the view says otherwise by setting its own Cache-Control."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", content_security_policy())
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
