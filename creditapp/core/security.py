"""Headers every response from the app carries (static files are served before this, by WhiteNoise).

The Content-Security-Policy is django-csp's, from settings.CONTENT_SECURITY_POLICY; its form-action
gains the vendor pages the configured integrations redirect a form post to, on each request."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase

# Where Stripe sends the browser after our Checkout and Customer Portal posts.
STRIPE_HOSTED_PAGES = ("https://checkout.stripe.com", "https://billing.stripe.com")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def vendor_form_targets() -> list[str]:
    """Where a form post may lead besides our own origin. Chrome checks every redirect answering a post
    against form-action, so the vendors' hosted pages that Checkout, the Portal and "Connect a bank"
    redirect to are named. Read from settings on each call: a policy built once would go stale when
    they change."""
    targets: list[str] = []
    stripe_sandbox = not settings.STRIPE_SECRET_KEY
    if not stripe_sandbox:
        targets += STRIPE_HOSTED_PAGES
    # The sandbox's Checkout and Link stand-ins, at the address the browser reaches (real Plaid Link
    # runs in a frame on our own page and posts back to us). Plaid is the sandbox without credentials,
    # as in finance.banking.plaid; read here from settings so the project layer does not import an app.
    plaid_sandbox = not (settings.PLAID_CLIENT_ID and settings.PLAID_SECRET)
    if stripe_sandbox or plaid_sandbox:
        targets.append(_origin(settings.SANDBOX_PUBLIC_URL))
    return targets


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the vendor form targets added to the configured form-action
    (after any a view adds with `csp_update`)."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", ()), *vendor_form_targets()]
        parts.update = update
        return parts


class SecurityHeadersMiddleware:
    """A Permissions-Policy, and `Cache-Control: no-store`.

    Pages, exports and API responses carry people's financial data, so nothing may be kept by a
    browser or a shared cache unless the view says otherwise by setting its own Cache-Control."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        response.headers.setdefault("Cache-Control", "no-store")
        return response
