# subscription_of() is Optional; these tests assert it exists by using it.
# mypy: disable-error-code="union-attr"

"""A failed payment, a trial about to end and a subscription that ended each tell the person once, in
the app and by email; events about something already resolved by the time they are processed say
nothing."""

from __future__ import annotations

from typing import Any

import pytest

from billing.models import WebhookEvent
from billing.notices import billing_notice_raise
from billing.tasks import send_free_trial_reminders, send_notice
from creditapp.tenancy.db import tenant_binding, tenant_context
from notifications.models import Alert
from tests.accounts.factories import UserFactory
from tests.billing.conftest import (
    DAY,
    T0,
    StripeSandbox,
    make_user,
    process_received,
    put_on_plan,
    signed_in,
    start_checkout,
    subscription_of,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),
]


def billing_alerts(user: Any) -> list[Alert]:
    with tenant_context(user.pk):
        return list(Alert.objects.filter(user_id=user.pk, kind=Alert.Kind.BILLING).order_by("id"))


def subscribe_on_a_clock(sandbox: StripeSandbox, user: Any, plan: str = "pro") -> tuple[str, str]:
    clock_id, customer_id = sandbox.clock_customer(user)
    _, session_id = start_checkout(signed_in(user), plan, "monthly")
    sandbox.complete(session_id)
    sandbox.flush()
    process_received()
    assert subscription_of(user).status == "trialing"
    return clock_id, customer_id


def test_a_failed_payment_tells_the_person_once(  # type: ignore[no-untyped-def]
    stripe_webhooks: StripeSandbox, enqueued: Any, mailoutbox
) -> None:
    user = make_user(joined_days_ago=20)
    clock_id, customer_id = subscribe_on_a_clock(stripe_webhooks, user)
    stripe_webhooks.card(customer_id, fails=True)
    stripe_webhooks.advance_clock(clock_id, T0 + 15 * DAY)  # the trial ends; the first charge fails
    stripe_webhooks.flush()
    process_received()
    assert subscription_of(user).status == "past_due"

    [alert] = billing_alerts(user)
    assert (alert.title, alert.severity, alert.link) == (
        "Your payment didn't go through",
        "critical",
        "/billing/",
    )
    grace_end = subscription_of(user).grace_ends_at()
    assert f"Update your card by {grace_end:%b} {grace_end.day}, {grace_end.year}" in alert.body
    assert enqueued().count("billing.send_notice") == 1

    send_notice(user.pk, alert.pk)  # what the worker runs
    [email] = mailoutbox
    assert email.to == [user.email]
    assert email.subject == "[creditapp] Your payment didn't go through"
    assert "http://" in email.body and "/billing/" in email.body and "&#x27;" not in email.body

    # Stripe delivers the same failure again, and our processing runs again: still one alert.
    [failed] = WebhookEvent.objects.filter(type="invoice.payment_failed")
    assert stripe_webhooks.deliver([failed.event_id]) == [200]
    process_received()
    with tenant_binding(user.pk):
        assert billing_notice_raise(event=failed, subscription=subscription_of(user)) is None
    assert len(billing_alerts(user)) == 1
    assert enqueued().count("billing.send_notice") == 1


def test_a_trial_about_to_end_is_announced_and_a_late_notice_is_not(stripe_webhooks: StripeSandbox) -> None:
    on_time, late = make_user(), make_user()
    for user, day in ((on_time, 12), (late, 15)):  # Stripe sends trial_will_end on day 11 of 14
        clock_id, _ = subscribe_on_a_clock(stripe_webhooks, user)
        stripe_webhooks.advance_clock(clock_id, T0 + day * DAY)
        stripe_webhooks.flush()
        process_received()

    assert WebhookEvent.objects.filter(type="customer.subscription.trial_will_end").count() == 2
    [alert] = billing_alerts(on_time)
    assert alert.title == "Your Pro trial ends on Jan 15, 2026"
    assert "we'll charge your card for Pro" in alert.body
    # By the time the late user's notice was processed the trial had become a paid subscription.
    assert subscription_of(late).status == "active"
    assert billing_alerts(late) == []


def test_the_end_of_a_subscription_is_announced_once(stripe_webhooks: StripeSandbox) -> None:
    user = make_user(joined_days_ago=30)
    clock_id, customer_id = subscribe_on_a_clock(stripe_webhooks, user, plan="basic")
    stripe_webhooks.advance_clock(clock_id, T0 + 15 * DAY)
    stripe_webhooks.card(customer_id, fails=True)
    for day in (50, 60, 75, 90):  # the renewal fails, then three retries fail: Stripe cancels
        stripe_webhooks.advance_clock(clock_id, T0 + day * DAY)
    stripe_webhooks.flush()
    process_received()
    assert subscription_of(user).status == "canceled"
    # The failures were already moot when processed (canceled by then): only the end is announced.
    assert [a.title for a in billing_alerts(user)] == ["Your Basic subscription has ended"]


def test_the_free_trial_reminder_comes_once_before_the_trial_ends(enqueued: Any, mailoutbox) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    due, early, over, subscribed = (make_user(joined_days_ago=days) for days in (12, 5, 20, 12))
    put_on_plan(subscribed, "basic")
    unverified = UserFactory(verified=False)  # an address nobody confirmed gets no email from us
    unverified.date_joined = due.date_joined
    unverified.save(update_fields=["date_joined"])

    assert send_free_trial_reminders() == 1  # what beat runs, hourly
    assert send_free_trial_reminders() == 0
    [alert] = billing_alerts(due)
    ends = due.date_joined + timedelta(days=14)
    assert (alert.title, alert.severity) == (
        f"Your free trial ends on {ends:%b} {ends.day}, {ends.year}",
        "warning",
    )
    assert all(billing_alerts(user) == [] for user in (early, over, subscribed, unverified))
    assert enqueued().count("billing.send_notice") == 1

    send_notice(due.pk, alert.pk)
    [email] = mailoutbox
    assert email.to == [due.email] and "read-only" in email.body and "Choose a plan" in email.body
