"""Settings: profile, security (allauth's pages), plan, category rules, and what is still to come."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.forms import ProfileForm
from accounts.models import User
from billing.selectors import entitlements_for_request
from creditapp.core.request import url_or_none, user_id
from finance.insights.rules import rule_delete as rule_delete_service
from finance.models import TransactionRule


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    user: User = request.user  # type: ignore[assignment]
    form = ProfileForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your details are saved.")
        return redirect("finance:settings")
    context = {
        "form": form,
        "entitlements": entitlements_for_request(request),
        "rules": list(TransactionRule.objects.for_user(uid).order_by("label", "id")),
        "links": {
            "password": url_or_none("account_change_password"),
            "mfa": url_or_none("mfa_index"),
            "email": url_or_none("account_email"),
            "plans": url_or_none("billing:plans"),
            "api_keys": url_or_none("accounts:api-keys"),
            "connections": url_or_none("finance:connections"),
            "credit": url_or_none("finance:credit"),
        },
    }
    return render(request, "finance/settings/index.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        reverted = rule_delete_service(user_id=user_id(request), rule_pk=pk)
    except TransactionRule.DoesNotExist:
        raise Http404("no such rule") from None
    messages.success(
        request,
        f"Rule deleted: {reverted} transaction{'s' if reverted != 1 else ''} back on the bank's category.",
    )
    return redirect("finance:settings")
