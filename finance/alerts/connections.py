"""Alerts from bank connections that need the person before they can update again.

The events and their keys:
- re-login — an item needs the person to sign in again: `relogin:<item>:<last successful sync>`, so
  each breakage after a good sync is its own event.
- consent expiry — an item's consent is about to expire: `consent:<item>:<expiry date>`.
"""

from __future__ import annotations

from django.urls import reverse

from finance.banking.models import PlaidItem
from notifications.models import Alert
from notifications.services import Draft

NEEDS_ATTENTION = (PlaidItem.Status.LOGIN_REQUIRED, PlaidItem.Status.PENDING_EXPIRATION)


def connection_drafts(*, user_id: int) -> list[Draft]:
    link = reverse("finance:connections")
    return [
        _relogin_draft(item, link)
        if item.status == PlaidItem.Status.LOGIN_REQUIRED
        else _consent_draft(item, link)
        for item in PlaidItem.objects.for_user(user_id).filter(status__in=NEEDS_ATTENTION)
    ]


def _name(item: PlaidItem) -> str:
    return item.institution_name or "Your bank"


def _relogin_draft(item: PlaidItem, link: str) -> Draft:
    since = item.last_synced_at.isoformat() if item.last_synced_at else "never"
    return Draft(
        Alert.Kind.RELOGIN,
        Alert.Severity.WARNING,
        f"{_name(item)} needs you to sign in again",
        f"relogin:{item.pk}:{since}",
        body=(
            f"We can't update {_name(item)} until you reconnect it. "
            "It takes a minute on the connections page."
        ),
        link=link,
        subject=f"item:{item.pk}",
    )


def _consent_draft(item: PlaidItem, link: str) -> Draft:
    expires = item.consent_expires_at.date().isoformat() if item.consent_expires_at else "soon"
    return Draft(
        Alert.Kind.RELOGIN,
        Alert.Severity.INFO,
        f"{_name(item)} access expires soon",
        f"consent:{item.pk}:{expires}",
        body=(
            f"Your permission for us to read {_name(item)} ends {expires}. "
            "Reconnect it to keep it up to date."
        ),
        link=link,
        subject=f"item:{item.pk}",
    )
