"""Stripe failing while a page calls it: the person gets a page that says so, never a server error.

Every view that calls Stripe (Checkout, the Customer Portal, anything added later) is covered without a
try/except of its own. The response is a 5xx, so the request's transaction is rolled back (see
`TenantContextMiddleware`): what the page says, "nothing was changed", holds for our side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import stripe
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from billing import stripe as stripe_api

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 120


class StripeFailureMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, stripe.StripeError):
            return None
        # Unreachable, slow or rate limiting: 503, come back later. Anything else Stripe (or something
        # in front of it) answered that we did not expect: 502; not transient, so likely ours to fix.
        unavailable = isinstance(exception, stripe.APIConnectionError | stripe.RateLimitError)
        if stripe_api.is_transient(exception):
            log.warning("stripe failed on %s %s: %r", request.method, request.path, exception)
        else:
            log.error(
                "stripe failed on %s %s: %r", request.method, request.path, exception, exc_info=exception
            )
        context = {
            "vendor": "Stripe",
            "role": "our payment provider",
            "unavailable": unavailable,
            "nothing_charged": True,  # our pages only open Stripe's; charges happen on Stripe's pages
            "back_url": reverse("billing:plans"),
            "back_label": "Back to your plan",
        }
        response = render(request, "vendor_error.html", context, status=503 if unavailable else 502)
        if unavailable:
            response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
