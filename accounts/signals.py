"""Security events in the audit log, written in the person's own tenant context."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import email_confirmed, password_changed, password_reset
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.audit import audit_record


def _record(action: str, user: Any, request: Any, **details: Any) -> None:
    if user is None or not getattr(user, "pk", None):
        return
    audit_record(action, user_id=user.pk, actor=user, details=details, request=request)


@receiver(user_logged_in, dispatch_uid="accounts.audit_login")
def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record("auth.login", user, request)


@receiver(user_logged_out, dispatch_uid="accounts.audit_logout")
def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record("auth.logout", user, request)


@receiver(password_changed, dispatch_uid="accounts.audit_password_changed")
def on_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record("auth.password_changed", user, request)


@receiver(password_reset, dispatch_uid="accounts.audit_password_reset")
def on_password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    _record("auth.password_reset", user, request)


@receiver(email_confirmed, dispatch_uid="accounts.audit_email_confirmed")
def on_email_confirmed(sender: Any, request: Any, email_address: Any, **kwargs: Any) -> None:
    _record("auth.email_confirmed", email_address.user, request, email=email_address.email)


@receiver(authenticator_added, dispatch_uid="accounts.audit_mfa_added")
def on_mfa_added(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record("auth.mfa_added", user, request, type=authenticator.type)


@receiver(authenticator_removed, dispatch_uid="accounts.audit_mfa_removed")
def on_mfa_removed(sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any) -> None:
    _record("auth.mfa_removed", user, request, type=authenticator.type)
