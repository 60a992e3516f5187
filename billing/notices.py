"""Telling the person about their subscription: an in-app alert and an email for a failed payment, a
Stripe trial about to end, a subscription that ended and the free (no card) trial about to end, one
per real event."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import User
from accounts.selectors import timezone_of
from billing.models import Subscription, WebhookEvent
from billing.selectors import entitlements
from creditapp.core.localtime import local_day_label
from creditapp.core.queue import enqueue_on_commit
from creditapp.tenancy.db import maintenance_access
from notifications.models import Alert
from notifications.services import Draft, notification_raise

FREE_TRIAL_REMINDER_DAYS = 3  # like Stripe's trial_will_end


def _local(moment: datetime | None, user_id: int) -> str:
    """ "Mar 5, 2026" in the person's timezone."""
    return local_day_label(moment, timezone_of(user_id))


def _draft(severity: str, dedupe_key: str, title: str, body: str, *, subject: str = "") -> Draft:
    """A billing alert; it links to the plans page, where everything about billing is done."""
    return Draft(
        kind=Alert.Kind.BILLING, severity=severity, title=title, body=body, dedupe_key=dedupe_key,
        link=reverse("billing:plans"), subject=subject,
    )  # fmt: skip


def _notice(event: WebhookEvent, subscription: Subscription) -> Draft | None:
    """What to tell the person about `event`, judged by the subscription as Stripe has it *now*: a
    late or replayed event about something already resolved (the card paid after all, the trial
    already over) says nothing."""
    user_id, plan = subscription.user_id, subscription.plan_info
    subscription_id = subscription.stripe_subscription_id
    plan_name = plan.name if plan else "your plan"

    def draft(severity: str, dedupe_key: str, title: str, body: str) -> Draft:
        return _draft(severity, dedupe_key, title, body, subject=f"subscription:{subscription.pk}")

    if event.type == "invoice.payment_failed" and subscription.status in {"past_due", "unpaid"}:
        grace_end = subscription.grace_ends_at()
        keep = f" by {_local(grace_end, user_id)}" if grace_end else ""
        return draft(
            Alert.Severity.CRITICAL, f"billing:payment_failed:{event.object_id}",
            "Your payment didn't go through",
            f"We couldn't charge your card for {plan_name}. Update your card{keep} to keep it; "
            "until then nothing changes, and your data is safe either way.",
        )  # fmt: skip
    if event.type == "customer.subscription.trial_will_end" and subscription.status == "trialing":
        ends = _local(subscription.trial_end, user_id)
        return draft(
            Alert.Severity.INFO, f"billing:trial_ends:{subscription_id}:{subscription.trial_end}",
            f"Your {plan_name} trial ends on {ends}",
            f"On {ends} we'll charge your card for {plan_name}. To change plans or cancel, "
            "open the billing portal before then.",
        )  # fmt: skip
    if event.type == "customer.subscription.deleted" and subscription.status == "canceled":
        return draft(
            Alert.Severity.WARNING, f"billing:ended:{subscription_id}",
            f"Your {plan_name} subscription has ended",
            "Your account is read-only now. Your data is safe: choose a plan any time to keep it up to date.",
        )  # fmt: skip
    return None


def _notify(user_id: int, draft: Draft) -> Alert | None:
    """Raise the alert and, when it is new, email it once the transaction commits."""
    with transaction.atomic():
        alert = notification_raise(user_id=user_id, draft=draft)
        if alert is not None:
            enqueue_on_commit("billing.send_notice", user_id, alert.pk)
    return alert


def billing_notice_raise(*, event: WebhookEvent, subscription: Subscription) -> Alert | None:
    """An in-app alert and an email for a failed payment, a trial about to end or a subscription that
    ended: one per real event, however often or late Stripe's events about it arrive."""
    draft = _notice(event, subscription)
    return _notify(subscription.user_id, draft) if draft is not None else None


def free_trial_candidates(*, now: datetime) -> list[int]:
    """Everyone verified whose free trial ends within FREE_TRIAL_REMINDER_DAYS and who has no
    subscription (the schedule then reminds each, as that person)."""
    trial = timedelta(days=settings.TRIAL_DAYS)
    joined = {
        "date_joined__gt": now - trial,
        "date_joined__lte": now - trial + timedelta(days=FREE_TRIAL_REMINDER_DAYS),
    }
    people = User.objects.filter(is_active=True, emailaddress__verified=True, **joined)  # nobody unverified
    candidates = set(people.values_list("pk", flat=True).distinct())
    with maintenance_access("schedule: free-trial reminders"):
        subscribed = set(
            Subscription.objects.filter(user_id__in=candidates).values_list("user_id", flat=True)
        )
    return sorted(candidates - subscribed)


def free_trial_reminder_send(*, user_id: int, now: datetime) -> bool:
    """Remind one person whose free trial is about to end, once however often the schedule runs;
    True when reminded now."""
    rights = entitlements(User.objects.get(pk=user_id), at=now)
    if rights.status != "trial" or rights.trial_ends_at is None:
        return False
    ends = _local(rights.trial_ends_at, user_id)
    draft = _draft(
        Alert.Severity.WARNING, "billing:free_trial_ends",
        f"Your free trial ends on {ends}",
        "After that your account becomes read-only: everything in it stays, but banks stop "
        "syncing and credit checks pause. Choose a plan to keep it up to date.",
    )  # fmt: skip
    return _notify(user_id, draft) is not None


def billing_notice_send(*, user_id: int, alert_pk: int) -> None:
    """Email one billing alert to its owner."""
    alert = Alert.objects.get(pk=alert_pk, user_id=user_id, kind=Alert.Kind.BILLING)
    email = User.objects.values_list("email", flat=True).get(pk=user_id)
    context = {"alert": alert, "url": settings.SITE_URL + alert.link}
    send_mail(
        subject=f"[creditapp] {alert.title}",
        message=render_to_string("billing/email/notice.txt", context),
        from_email=None,
        recipient_list=[email],
    )
