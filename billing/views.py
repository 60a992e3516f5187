"""Billing pages. Stripe failing while one of them calls it is shown by `billing.middleware`."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import services
from billing import stripe as stripe_api
from billing.plans import INTERVALS, PAID_PLANS, Interval, paid_plan
from billing.selectors import entitlements_for_request, had_trial, live_subscription
from creditapp.core.money import format_money
from creditapp.core.request import user_id

log = logging.getLogger(__name__)

PRICE_CACHE_KEY = "billing:price-tags"
PRICE_CACHE_SECONDS = 3600
STATUS_POLL_LIMIT = 45  # polls every 2 s: stop asking after 90 s and say so


def _absolute(name: str) -> str:
    return settings.SITE_URL + reverse(name)


@dataclass(frozen=True)
class PriceTag:
    """One price as Stripe has it, for showing: amounts come from Stripe, never from our templates."""

    amount_minor: int
    currency: str
    period: str  # Stripe's recurring interval: "month" or "year"

    @property
    def amount(self) -> str:
        """ "$6", or "$6.50" when there are cents."""
        return format_money(self.amount_minor, self.currency, drop_zero_fraction=True)

    @property
    def per_month(self) -> str:
        """A yearly price spread over its twelve months."""
        months = 12 if self.period == "year" else 1
        return PriceTag(round(self.amount_minor / months), self.currency, "month").amount

    @property
    def label(self) -> str:
        return f"{self.amount} / {self.period}"


def plan_prices() -> dict[str, dict[Interval, PriceTag]]:
    """Each paid plan's prices by interval, from Stripe, cached; empty when Stripe is down."""
    prices: dict[str, dict[Interval, PriceTag]] | None = cache.get(PRICE_CACHE_KEY)
    if prices is not None:
        return prices
    prices = {}
    try:
        for plan in PAID_PLANS:
            for interval in INTERVALS:
                price = stripe_api.price_retrieve(plan.price_id(interval))
                period = price.recurring.interval if price.recurring else interval.removesuffix("ly")
                tag = PriceTag(price.unit_amount or 0, price.currency.upper(), period)
                prices.setdefault(plan.code, {})[interval] = tag
    except stripe.StripeError as error:
        log.warning("price lookup failed: %s", error)
        return {}
    cache.set(PRICE_CACHE_KEY, prices, PRICE_CACHE_SECONDS)
    return prices


def months_free(prices: dict[str, dict[Interval, PriceTag]]) -> int:
    """How many months a year the yearly prices give away (the same for every plan, or 0)."""
    saved = {
        round(12 - tags["yearly"].amount_minor / tags["monthly"].amount_minor)
        for tags in prices.values()
        if tags.get("monthly") and tags.get("yearly") and tags["monthly"].amount_minor
    }
    if len(saved) != 1 or len(prices) != len(PAID_PLANS):
        return 0
    return max(saved.pop(), 0)


def _plan_cards() -> list[dict[str, object]]:
    prices = plan_prices()
    return [
        {
            "plan": plan,
            "prices": [
                {"interval": interval, "tag": prices.get(plan.code, {}).get(interval)}
                for interval in INTERVALS
            ],
        }
        for plan in PAID_PLANS
    ]


def pricing(request: HttpRequest) -> HttpResponse:
    """The public pricing page; signed-in people get the plan picker, whose buttons check out."""
    if request.user.is_authenticated:
        return redirect("billing:plans")
    prices = plan_prices()
    return render(request, "pricing.html", {"prices": prices, "months_free": months_free(prices)})


@login_required
@require_GET
def plans(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    if request.GET.get("checkout") == "canceled":
        messages.info(request, "Checkout cancelled: nothing was charged.")
    context = {
        "entitlements": entitlements_for_request(request),
        "plan_cards": _plan_cards(),
        "subscription": live_subscription(user_id=uid),
        "trial_offer": settings.TRIAL_DAYS if not had_trial(user_id=uid) else None,
    }
    return render(request, "billing/plans.html", context)


@login_required
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    plan = paid_plan(request.POST.get("plan", ""))
    interval = request.POST.get("interval", "")
    if plan is None or interval not in INTERVALS:
        return HttpResponseBadRequest("unknown plan or interval")
    try:
        url = services.checkout_start(
            user=request.user,
            plan=plan,
            interval=interval,  # type: ignore[arg-type]  # checked against INTERVALS above
            success_url=_absolute("billing:success") + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=_absolute("billing:plans") + "?checkout=canceled",
        )
    except services.BillingError as error:
        messages.info(request, str(error))
        return redirect("billing:plans")
    return HttpResponseRedirect(url, status=303)  # 303: the browser follows with a GET


@login_required
@require_GET
def success(request: HttpRequest) -> HttpResponse:
    """Back from Checkout. The webhook may not have landed yet, so read the session back ourselves;
    the page then polls the status partial until the plan shows as active."""
    session_id = request.GET.get("session_id", "")
    if session_id:
        try:
            services.checkout_session_sync(user_id=user_id(request), session_id=session_id)
        except services.CheckoutSessionNotFound:
            return render(request, "billing/checkout_not_found.html", status=404)
        except stripe.StripeError as error:
            # Not an error page: the person has just paid on Stripe's page, and the webhook brings the
            # news instead, so the page waits for it as usual.
            log.warning("checkout session %s could not be read back: %r", session_id, error)
    return render(request, "billing/success.html", _status_context(request, poll=0))


def _status_context(request: HttpRequest, *, poll: int) -> dict[str, object]:
    current = entitlements_for_request(request)
    activated = current.subscription is not None
    return {
        "entitlements": current,
        "activated": activated,
        "waiting": not activated and poll < STATUS_POLL_LIMIT,
        "gave_up": not activated and poll >= STATUS_POLL_LIMIT,
        "next_poll": poll + 1,
    }


@login_required
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """The htmx partial the success page polls every 2 s until the subscription is active."""
    try:
        poll = max(0, int(request.GET.get("poll", "0")))
    except ValueError:
        poll = 0
    return render(request, "billing/_status.html", _status_context(request, poll=poll))


@login_required
@require_POST
def portal(request: HttpRequest) -> HttpResponse:
    """Stripe's Customer Portal: change plan or card, cancel, see invoices."""
    try:
        url = services.portal_start(user_id=user_id(request), return_url=_absolute("billing:plans"))
    except services.BillingError as error:
        messages.info(request, str(error))
        return redirect("billing:plans")
    return HttpResponseRedirect(url, status=303)  # 303: the browser follows with a GET


@csrf_exempt
@require_POST
def webhook(request: HttpRequest) -> HttpResponse:
    """Verify the signature on the raw body, store the event once, answer fast; a task applies it."""
    try:
        event = stripe_api.construct_event(request.body, request.headers.get("Stripe-Signature"))
    except (ValueError, stripe.SignatureVerificationError) as rejection:
        log.warning("stripe webhook rejected: %s", rejection)
        return HttpResponseBadRequest("invalid webhook")
    if event.type in services.HANDLED_EVENTS:
        services.webhook_event_record(event=event)
    return HttpResponse(status=200)
