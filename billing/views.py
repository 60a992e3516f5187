from __future__ import annotations

import logging

import stripe
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from billing import services
from billing import stripe as stripe_api
from billing.plans import INTERVALS, PAID_PLANS, paid_plan
from billing.selectors import entitlements_for_request, had_trial, live_subscription
from creditapp.http import user_id

log = logging.getLogger(__name__)

PRICE_CACHE_SECONDS = 3600
STATUS_POLL_LIMIT = 45  # polls every 2 s: stop asking after 90 s and say so


def _absolute(name: str) -> str:
    return settings.SITE_URL + reverse(name)


def plan_prices() -> dict[str, str]:
    """Price labels ("$19.00 / month") by price id, from Stripe, cached; empty when Stripe is down."""
    labels: dict[str, str] | None = cache.get("billing:price-labels")
    if labels is not None:
        return labels
    labels = {}
    try:
        for plan in PAID_PLANS:
            for interval in INTERVALS:
                price = stripe_api.price_retrieve(plan.price_id(interval))
                amount = (price.unit_amount or 0) / 100
                period = price.recurring.interval if price.recurring else interval
                labels[price.id] = f"${amount:,.2f} / {period}"
    except stripe.StripeError as error:
        log.warning("price lookup failed: %s", error)
        return {}
    cache.set("billing:price-labels", labels, PRICE_CACHE_SECONDS)
    return labels


def _plan_cards() -> list[dict[str, object]]:
    labels = plan_prices()
    return [
        {
            "plan": plan,
            "prices": [
                {"interval": interval, "label": labels.get(plan.price_id(interval), "")}
                for interval in INTERVALS
            ],
        }
        for plan in PAID_PLANS
    ]


def pricing(request: HttpRequest) -> HttpResponse:
    """The public pricing page; signed-in people get the plan picker, whose buttons check out."""
    if request.user.is_authenticated:
        return redirect("billing:plans")
    return render(request, "pricing.html", {"plan_cards": _plan_cards()})


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
    except stripe.StripeError as error:
        log.warning("checkout for user %s failed: %s", request.user.pk, error)
        messages.error(request, "We couldn't reach our payment partner. Please try again in a minute.")
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
            raise Http404 from None
        except stripe.StripeError as error:  # the webhook will bring the news instead
            log.warning("checkout session %s could not be read back: %s", session_id, error)
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
    except stripe.StripeError as error:
        log.warning("portal for user %s failed: %s", request.user.pk, error)
        messages.error(request, "We couldn't open the billing portal. Please try again in a minute.")
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
