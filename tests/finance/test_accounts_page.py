"""Accounts and cards: balances, statement facts, utilisation with the 30 % line, balance history."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from django.test import Client

from creditapp.core.localtime import local_today
from creditapp.tenancy.db import tenant_context
from finance.models import BalanceSnapshot
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def wallet():  # type: ignore[no-untyped-def]
    user = UserFactory()
    with tenant_context(user.pk):
        checking = b.account(user.pk, name="Everyday", balance=123_456, available_balance_minor=120_000)
        card = b.account(
            user.pk,
            type="credit",
            name="Gold Visa",
            balance=41_230,
            credit_limit_minor=100_000,
            available_balance_minor=58_770,
        )
        b.liability(
            user.pk,
            card,
            purchase_apr_bp=2_499,
            last_statement_balance_minor=38_000,
            last_statement_issue_date=date(2026, 10, 28),
            minimum_payment_minor=2_500,
            next_payment_due_date=date(2026, 11, 25),
            last_payment_amount_minor=10_000,
            last_payment_date=date(2026, 10, 20),
            aprs=[
                {"type": "purchase_apr", "apr_bp": 2_499, "balance_subject_minor": 38_000},
                {"type": "balance_transfer_apr", "apr_bp": 0, "balance_subject_minor": None},
            ],
        )
        today = local_today(user.timezone)
        for days_ago, balance in ((2, 39_000), (1, 40_100), (0, 41_230)):
            BalanceSnapshot.objects.create(
                user_id=user.pk,
                account=card,
                date=today - timedelta(days=days_ago),
                current_minor=balance,
                limit_minor=100_000,
            )
        BalanceSnapshot.objects.create(
            user_id=user.pk, account=card, date=today - timedelta(days=400), current_minor=1
        )
        b.txn(user.pk, card, amount=4_200, day=today, merchant="Chevron", category="TRANSPORTATION_GAS")
        b.txn(user.pk, checking, amount=999, day=today, merchant="Netflix")
    return user, checking, card


def test_the_list_shows_balances_limits_and_statement_facts(wallet) -> None:  # type: ignore[no-untyped-def]
    user, _, _ = wallet
    page = client_for(user).get("/app/accounts/")
    html = page.content.decode()
    assert page.status_code == 200
    for text in (
        "$1,234.56",
        "$1,200.00 available",
        "$412.30",
        "$1,000.00",
        "$380.00",
        "$25.00",
        "Nov 25, 2026",
        "24.99 %",
        "41.2 %",
        'x1="30%"',
        "Cash",
        "Credit cards",
    ):
        assert text in html, text
    # 41.23 % of the limit: above the 30 % line, so the bar says so.
    assert "util-bar is-over" in html


def test_the_detail_page_charts_a_year_of_balances_and_lists_recent_transactions(
    wallet, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    user, checking, card = wallet
    client = client_for(user)
    with django_assert_max_num_queries(10):
        page = client.get(f"/app/accounts/{card.pk}/")
    assert page.status_code == 200
    chart = page.context["history_chart"]
    assert chart["data"]["datasets"][0]["data"] == [39_000, 40_100, 41_230]  # the 400-day-old one is out
    html = page.content.decode()
    script = re.search(r'<script id="history-chart" type="application/json">(.*?)</script>', html)
    assert script is not None and json.loads(script.group(1))["type"] == "line"
    assert 'data-chart="history-chart" data-chart-money="USD"' in html
    for text in (
        "Statement balance",
        "$380.00",
        "Oct 28, 2026",
        "$100.00 on Oct 20, 2026",
        "Balance transfer",
        "0.00 %",
    ):
        assert text in html, text
    assert [t.merchant_name for t in page.context["transactions"]] == ["Chevron"]
    assert "Netflix" not in html

    checking_page = client.get(f"/app/accounts/{checking.pk}/").content.decode()
    assert "Statement balance" not in checking_page and "Netflix" in checking_page


def test_another_persons_account_is_not_found(wallet) -> None:  # type: ignore[no-untyped-def]
    _, _, card = wallet
    stranger = client_for(UserFactory())
    assert stranger.get(f"/app/accounts/{card.pk}/").status_code == 404
    assert stranger.get("/app/accounts/999999/").status_code == 404
    assert "Gold Visa" not in stranger.get("/app/accounts/").content.decode()
