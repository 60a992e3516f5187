"""Accounts and cards: balances, each card's statement facts and utilisation, balance history."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from creditapp.core.localtime import local_today
from creditapp.core.request import user_id
from finance.insights.dashboard import UTILISATION_LINE_BP
from finance.models import Account, BalanceSnapshot, CardLiability, Transaction

HISTORY_DAYS = 365
RECENT_TRANSACTIONS = 15
GROUPS = (
    (Account.Type.DEPOSITORY, "Cash"),
    (Account.Type.CREDIT, "Credit cards"),
    (Account.Type.LOAN, "Loans"),
    (Account.Type.INVESTMENT, "Investments"),
    (Account.Type.OTHER, "Other"),
)


def _over_line(account: Account) -> bool:
    return (account.utilisation_bp or 0) > UTILISATION_LINE_BP


@login_required
@require_GET
def account_list(request: HttpRequest) -> HttpResponse:
    uid = user_id(request)
    accounts = list(Account.objects.for_user(uid).order_by("institution_name", "name", "id"))
    liabilities = {row.account_id: row for row in CardLiability.objects.for_user(uid)}
    for account in accounts:
        account.liability = liabilities.get(account.pk)  # type: ignore[attr-defined]
        account.over_line = _over_line(account)  # type: ignore[attr-defined]
    groups = [
        {"type": kind, "label": label, "accounts": [a for a in accounts if a.type == kind]}
        for kind, label in GROUPS
    ]
    return render(
        request,
        "finance/accounts.html",
        {
            "groups": [g for g in groups if g["accounts"]],
            "has_accounts": bool(accounts),
            "line_bp": UTILISATION_LINE_BP,
        },
    )


def _history_chart(snapshots: list[BalanceSnapshot], account: Account) -> dict[str, Any] | None:
    points = [s for s in snapshots if s.current_minor is not None]
    if len(points) < 2:
        return None
    label = "Owed" if account.type == Account.Type.CREDIT else "Balance"
    return {
        "type": "line",
        "data": {
            "labels": [f"{s.date:%b} {s.date.day}" for s in points],
            "datasets": [
                {
                    "label": label,
                    "data": [s.current_minor for s in points],
                    "tension": 0.25,
                    "pointRadius": 0,
                    "fill": "origin",
                }
            ],
        },
        "options": {
            "plugins": {"legend": {"display": False}},
            "interaction": {"intersect": False, "mode": "index"},
            "scales": {"x": {"ticks": {"maxRotation": 0, "autoSkipPadding": 16}}},
        },
    }


@login_required
@require_GET
def account_detail(request: HttpRequest, pk: int) -> HttpResponse:
    uid = user_id(request)
    account = get_object_or_404(Account.objects.select_related("item"), pk=pk, user_id=uid)
    liability = CardLiability.objects.for_user(uid).filter(account_id=account.pk).first()
    since = local_today(request.user.timezone) - timedelta(days=HISTORY_DAYS)  # type: ignore[union-attr]
    snapshots = list(
        BalanceSnapshot.objects.for_user(uid).filter(account_id=account.pk, date__gte=since).order_by("date")
    )
    recent = list(
        Transaction.objects.for_user(uid)
        .filter(account_id=account.pk)
        .select_related("account")
        .order_by("-date", "-id")[:RECENT_TRANSACTIONS]
    )
    context = {
        "account": account,
        "liability": liability,
        "history_chart": _history_chart(snapshots, account),
        "snapshot_count": len(snapshots),
        "transactions": recent,
        "over_line": _over_line(account),
        "today": local_today(request.user.timezone),  # type: ignore[union-attr]
    }
    return render(request, "finance/accounts_detail.html", context)
