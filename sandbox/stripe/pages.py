"""Stand-ins for Stripe's hosted pages: Checkout, the Customer Portal and the hosted invoice page.

Plain HTML forms, so a person or a browser test can click through them; each action goes through the
same `flows` functions as the JSON control API and sends the same webhooks.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import parse_qsl

from sandbox.http import Request, Response, html_response, redirect
from sandbox.stripe import billing, flows, simulation
from sandbox.stripe.catalog import describe_price, format_amount, product_name
from sandbox.stripe.errors import StripeError
from sandbox.stripe.routing import base_url, router
from sandbox.stripe.state import Store, store

STYLE = """
body{font:16px/1.5 system-ui,sans-serif;background:#f6f9fc;color:#1a1f36;margin:0}
main{max-width:560px;margin:48px auto;background:#fff;border-radius:12px;padding:32px;
box-shadow:0 4px 24px rgba(50,50,93,.12)}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}
.muted{color:#697386;font-size:14px}.price{font-size:28px;font-weight:600;margin:12px 0}
.badge{display:inline-block;background:#635bff;color:#fff;border-radius:4px;padding:0 8px;font-size:12px}
.card{border:1px solid #e3e8ee;border-radius:8px;padding:16px;margin:12px 0}
button{font:inherit;border:0;border-radius:6px;padding:10px 18px;cursor:pointer;margin:4px 8px 4px 0}
.primary{background:#635bff;color:#fff}.secondary{background:#e3e8ee;color:#1a1f36}
.danger{background:#df1b41;color:#fff}
.error{background:#fde8ec;color:#a41c35;border-radius:6px;padding:10px 14px;margin:12px 0}
.notice{background:#e6f6ee;color:#0e6245;border-radius:6px;padding:10px 14px;margin:12px 0}
input,select{font:inherit;padding:8px;border:1px solid #cfd7df;border-radius:6px}
footer{margin-top:24px;font-size:13px;color:#697386}
"""


def page(title: str, body: str, status: int = 200) -> Response:
    return html_response(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta name='viewport' content='width=device-width,initial-scale=1'><style>{STYLE}</style></head>"
        f"<body><main>{body}<footer>creditapp Stripe sandbox · test mode · no real money moves"
        f"</footer></main></body></html>",
        status,
    )


def not_found(what: str) -> Response:
    return page("Not found", f"<h1>Not found</h1><p class='muted'>No such {escape(what)}.</p>", 404)


def day(timestamp: int | None) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%d %b %Y") if timestamp else "—"


def form_of(request: Request) -> dict[str, str]:
    return dict(parse_qsl(request.body.decode(errors="replace"), keep_blank_values=True))


# -- Checkout -----------------------------------------------------------------------------------------
def checkout_page(session: dict[str, Any], error: str | None = None) -> Response:
    lines = session["_line_items"]
    title = " + ".join(line["description"] for line in lines)
    trial_days = session["_subscription_data"].get("trial_period_days")
    summary = " + ".join(describe_price(line["price"]) for line in lines)
    body = [
        f"<p class='muted'>Subscribe to</p><h1>{escape(title)}</h1>",
        f"<div class='price'>{escape(summary)}</div>",
    ]
    if trial_days:
        body.append(
            f"<p><span class='badge'>{trial_days}-day free trial</span> "
            f"then {escape(summary)}. Nothing is charged today.</p>"
        )
    if session["status"] != "open":
        done = flows.success_url(session)
        link = f"<p><a href='{escape(done)}'>Continue</a></p>" if done else ""
        body.append(f"<div class='notice'>This checkout session is {escape(session['status'])}.</div>{link}")
        return page("Checkout", "".join(body))
    if error:
        body.append(f"<div class='error' role='alert'>{escape(error)}</div>")
    email = session["customer_email"] or ""
    email_field = (
        ""
        if session["customer"]
        else f"<p><label>Email <input type='email' name='email' value='{escape(email)}'></label></p>"
    )
    body.append(
        f"<form method='post'>{email_field}"
        f"<div class='card'><button class='primary' name='outcome' value='pay'>Pay</button> "
        f"<span class='muted'>with card {flows.PAY_CARD}</span></div>"
        f"<div class='card'><button class='danger' name='outcome' value='decline'>Decline</button> "
        f"<span class='muted'>with card {flows.DECLINE_CARD}</span></div></form>"
    )
    if session["cancel_url"]:
        body.append(f"<p><a href='{escape(session['cancel_url'])}'>← Back</a></p>")
    return page("Checkout", "".join(body))


@router.route("GET", "/_sandbox/stripe/checkout/{id}")
def show_checkout(request: Request) -> Response:
    with store.lock:
        session = store.collection("checkout_sessions").get(request.params["id"])
        return checkout_page(session) if session else not_found("checkout session")


@router.route("POST", "/_sandbox/stripe/checkout/{id}")
def submit_checkout(request: Request) -> Response:
    form = form_of(request)
    with store.mutation():
        session = store.collection("checkout_sessions").get(request.params["id"])
        if session is None:
            return not_found("checkout session")
        store.data["base_url"] = base_url(request)
        simulation.settle(store)
        try:
            result = flows.complete_checkout(
                store, session, form.get("outcome", ""), form.get("email") or None
            )
        except StripeError as exc:
            return checkout_page(session, exc.message)
        simulation.settle(store)
    if result["outcome"] == "declined":
        return checkout_page(session, f"{flows.DECLINE['message']} (card {flows.DECLINE_CARD})")
    return redirect(result["redirect_to"]) if result["redirect_to"] else checkout_page(session)


# -- Customer Portal ----------------------------------------------------------------------------------
NOTICES = {
    "switched": "Your plan has been updated.",
    "canceled": "Your plan will be canceled at the end of the billing period.",
    "renewed": "Your plan will renew.",
    "card": "Your payment method has been updated.",
}


def portal_page(
    store: Store, portal: dict[str, Any], notice: str | None, error: str | None = None
) -> Response:
    customer = store.get("customers", portal["customer"])
    subs = [
        s
        for s in store.collection("subscriptions").values()
        if s["customer"] == customer["id"] and s["status"] not in billing.ENDED_STATUSES
    ]
    body = [f"<p class='muted'>Manage billing for</p><h1>{escape(customer['email'] or customer['id'])}</h1>"]
    if notice in NOTICES:
        body.append(f"<div class='notice' role='status'>{NOTICES[notice]}</div>")
    if error:
        body.append(f"<div class='error' role='alert'>{escape(error)}</div>")
    body.append("<h2>Current plan</h2>")
    if not subs:
        body.append("<p class='muted'>No active subscription. (The portal cannot start one.)</p>")
    for sub in subs:
        body.append(subscription_card(store, sub))
    card = customer["_card"]
    body.append(
        f"<h2>Payment method</h2><div class='card'>Visa •••• {card['last4']}"
        f"<form method='post'><input type='hidden' name='action' value='update_card'>"
        f"<button class='secondary' name='card' value='succeeds'>Update card to 4242 4242 4242 4242</button>"
        f"<button class='secondary' name='card' value='fails'>Update card to 4000 0000 0000 0341 (declines)"
        f"</button></form></div>"
    )
    invoices = sorted(
        (i for i in store.collection("invoices").values() if i["customer"] == customer["id"]),
        key=lambda i: i["_sequence"],
        reverse=True,
    )[:10]
    if invoices:
        rows = "".join(
            f"<li>{day(i['created'])} · {format_amount(i['amount_due'], i['currency'])}"
            f" · {escape(i['status'])} · <a href='/_sandbox/stripe/invoices/{i['id']}'>view</a></li>"
            for i in invoices
        )
        body.append(f"<h2>Invoice history</h2><ul>{rows}</ul>")
    if portal["return_url"]:
        body.append(f"<p><a href='{escape(portal['return_url'])}'>← Return to creditapp</a></p>")
    return page("Billing portal", "".join(body))


def subscription_card(store: Store, sub: dict[str, Any]) -> str:
    price = sub["items"]["data"][0]["price"]
    state = f"{escape(sub['status'])}"
    if sub["status"] == "trialing":
        state += f" · trial ends {day(sub['trial_end'])}"
    if sub["cancel_at_period_end"]:
        state += f" · cancels {day(sub['current_period_end'])}"
    else:
        state += f" · renews {day(sub['current_period_end'])}"
    choices = [
        p
        for p in store.collection("prices").values()
        if p["active"] and p["recurring"] and p["currency"] == price["currency"]
    ]
    options = "".join(
        f"<option value='{escape(p['id'])}'{' selected' if p['id'] == price['id'] else ''}>"
        f"{escape(product_name(store, p))} — {escape(describe_price(p))}</option>"
        for p in choices
    )
    hidden = f"<input type='hidden' name='subscription' value='{escape(sub['id'])}'>"
    toggle = (
        "<button class='primary' name='action' value='renew'>Renew plan</button>"
        if sub["cancel_at_period_end"]
        else "<button class='danger' name='action' value='cancel'>Cancel plan</button>"
    )
    return (
        f"<div class='card'><strong>{escape(product_name(store, price))}</strong> · "
        f"{escape(describe_price(price))}<div class='muted'>{state}</div>"
        f"<form method='post'>{hidden}<select name='price' aria-label='Plan'>{options}</select> "
        f"<button class='primary' name='action' value='switch_plan'>Switch plan</button></form>"
        f"<form method='post'>{hidden}{toggle}</form></div>"
    )


@router.route("GET", "/_sandbox/stripe/portal/{id}")
def show_portal(request: Request) -> Response:
    with store.lock:
        portal = store.collection("portal_sessions").get(request.params["id"])
        return (
            portal_page(store, portal, request.query.get("done")) if portal else not_found("portal session")
        )


@router.route("POST", "/_sandbox/stripe/portal/{id}")
def submit_portal(request: Request) -> Response:
    form = form_of(request)
    action = form.get("action", "")
    with store.mutation():
        portal = store.collection("portal_sessions").get(request.params["id"])
        if portal is None:
            return not_found("portal session")
        store.data["base_url"] = base_url(request)
        simulation.settle(store)
        try:
            done = portal_action(store, portal, action, form)
        except StripeError as exc:
            return portal_page(store, portal, None, exc.message)
        simulation.settle(store)
    return redirect(f"/_sandbox/stripe/portal/{portal['id']}?done={done}")


def portal_action(store: Store, portal: dict[str, Any], action: str, form: dict[str, str]) -> str:
    if action == "update_card":
        flows.update_card(store, store.get("customers", portal["customer"]), form.get("card", "succeeds"))
        return "card"
    sub = flows.portal_subscription(store, portal, form.get("subscription", ""))
    if action == "switch_plan":
        flows.switch_plan(store, sub, form.get("price", ""))
        return "switched"
    if action in ("cancel", "renew"):
        flows.set_cancel_at_period_end(store, sub, action == "cancel")
        return "canceled" if action == "cancel" else "renewed"
    raise StripeError(f"Unknown portal action {action!r}.")


# -- hosted invoice page ------------------------------------------------------------------------------
def invoice_page(invoice: dict[str, Any], error: str | None = None) -> Response:
    body = [
        f"<p class='muted'>Invoice {escape(invoice['number'] or invoice['id'])}</p>",
        f"<h1>{format_amount(invoice['amount_due'], invoice['currency'])}</h1>",
        f"<p>Status: <strong>{escape(invoice['status'])}</strong> · "
        f"period {day(invoice['period_start'])} to {day(invoice['period_end'])}</p>",
    ]
    body += [
        f"<div class='card'>{escape(line['description'])} · "
        f"{format_amount(line['amount'], line['currency'])}</div>"
        for line in invoice["lines"]["data"]
    ]
    if error:
        body.append(f"<div class='error' role='alert'>{escape(error)}</div>")
    if invoice["status"] == "open":
        body.append(
            "<form method='post'><button class='primary'>Pay</button> "
            f"<span class='muted'>with card {flows.PAY_CARD}</span></form>"
        )
    return page("Invoice", "".join(body))


@router.route("GET", "/_sandbox/stripe/invoices/{id}")
def show_invoice(request: Request) -> Response:
    with store.lock:
        invoice = store.collection("invoices").get(request.params["id"])
        return invoice_page(invoice) if invoice else not_found("invoice")


@router.route("POST", "/_sandbox/stripe/invoices/{id}")
def pay_invoice(request: Request) -> Response:
    with store.mutation():
        invoice = store.collection("invoices").get(request.params["id"])
        if invoice is None:
            return not_found("invoice")
        simulation.settle(store)
        if invoice["status"] != "open":
            return invoice_page(invoice)
        customer = store.get("customers", invoice["customer"])
        at = store.now_for(customer["id"])
        billing.set_card(store, customer, "succeeds", at, announce=True)
        billing.pay_invoice(store, invoice, at)
        simulation.settle(store)
    return redirect(f"/_sandbox/stripe/invoices/{invoice['id']}")
