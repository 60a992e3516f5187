"""The dashboard's numbers against fixtures with known totals, its cache, its queries and its tenancy."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from creditapp.core.localtime import local_today
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.banking.sync import item_data_changed
from finance.insights.dashboard import dashboard_compute, month_start, same_day_last_month
from finance.insights.edits import transaction_edit
from finance.insights.rules import transaction_recategorise
from finance.models import CreditReport, CreditScore, OnboardingProgress, PlaidItem, ScoreFactor, Transaction
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

TODAY = date(2026, 3, 15)


def onboarded(user_id: int) -> None:
    with tenant_context(user_id):
        OnboardingProgress.objects.create(
            user_id=user_id,
            profile="done",
            bank="done",
            credit="done",
            plan="done",
            completed_at=timezone.now(),
        )


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def household():  # type: ignore[no-untyped-def]
    """Accounts and transactions whose every total is worked out in the test below."""
    user = UserFactory()
    with tenant_context(user.pk):
        checking = b.account(user.pk, balance=500_000, name="Checking")
        b.account(user.pk, balance=100_000, name="Savings")
        card = b.account(user.pk, type="credit", balance=120_000, credit_limit_minor=400_000, name="Visa")
        card2 = b.account(user.pk, type="credit", balance=30_000, credit_limit_minor=100_000, name="Amex")
        loan = b.account(user.pk, type="loan", balance=999_999, name="Car loan")
        euros = b.account(user.pk, balance=77_700, currency="EUR", name="Euro account")

        def spend(amount: int, day: date, category: str = "FOOD_AND_DRINK_COFFEE", on=checking, **kw):  # type: ignore[no-untyped-def]
            return b.txn(user.pk, on, amount=amount, day=day, category=category, **kw)

        march = lambda day: date(2026, 3, day)  # noqa: E731
        spend(450, march(2))  # coffee: spending
        spend(10_000, march(3), "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", on=card)
        spend(-2_000, march(4), "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", on=card)  # a refund
        spend(-300_000, march(5), "INCOME_WAGES")  # income
        spend(50_000, march(6), "TRANSFER_OUT_SAVINGS")  # transfer: neither
        spend(40_000, march(6), "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT")  # paying the card: neither
        spend(-40_000, march(6), "LOAN_PAYMENTS_CREDIT_CARD_PAYMENT", on=card)
        spend(25_000, march(7), "LOAN_PAYMENTS_CAR_PAYMENT")  # a loan payment is spending
        spend(-25_000, march(7), "LOAN_PAYMENTS_CAR_PAYMENT", on=loan)  # the loan's side: not counted
        spend(9_999, march(8), pending=True)  # pending: not yet
        spend(1_234, march(9), "")  # uncategorised money out: spending
        spend(-5_000, march(9), "")  # uncategorised money in: income
        spend(150_000, march(10), "RENT_AND_UTILITIES_RENT")
        spend(7_000, march(11), on=euros)  # another currency
        spend(100_000, march(16))  # after "today"
        spend(20_000, date(2026, 2, 10))
        spend(1_000, date(2026, 2, 15))  # the same day-of-month last month: counted
        spend(50_000, date(2026, 2, 16))  # after it: only in February's bar
        spend(3_000, date(2025, 4, 30))  # the oldest month of the twelve
        spend(4_000, date(2025, 3, 31))  # thirteen months ago: not shown
        b.liability(
            user.pk,
            card,
            next_payment_due_date=march(20),
            last_statement_balance_minor=110_000,
            minimum_payment_minor=3_500,
        )
        b.liability(
            user.pk,
            card2,
            next_payment_due_date=march(1),
            is_overdue=True,
            last_statement_balance_minor=30_000,
            minimum_payment_minor=2_500,
        )
    return user


def test_every_number_matches_the_hand_worked_totals(household) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(household.pk), tenant_binding(household.pk):
        data = dashboard_compute(user_id=household.pk, currency="USD", today=TODAY)

    assert (data.cash_minor, data.card_owed_minor, data.net_minor) == (600_000, 150_000, 450_000)
    assert data.other_currency_accounts == 1
    spending = 450 + 10_000 - 2_000 + 25_000 + 1_234 + 150_000
    assert data.spending_mtd_minor == spending == 184_684
    assert data.income_mtd_minor == 305_000
    assert data.last_month_compared_to == date(2026, 2, 15)
    assert data.spending_last_mtd_minor == 21_000
    assert data.spending_change_bp == (184_684 - 21_000) * 10_000 // 21_000

    assert [(row.primary, row.amount_minor) for row in data.categories] == [
        ("RENT_AND_UTILITIES", 150_000),
        ("LOAN_PAYMENTS", 25_000),
        ("GENERAL_MERCHANDISE", 8_000),
        ("", 1_234),
        ("FOOD_AND_DRINK", 450),
    ]
    assert [row.label for row in data.categories][2:4] == ["Shopping", "Uncategorised"]

    assert len(data.trend) == 12
    assert data.trend[0] == (date(2025, 4, 1), 3_000, 0)
    assert data.trend[-2] == (date(2026, 2, 1), 71_000, 0)
    assert data.trend[-1] == (date(2026, 3, 1), 184_684, 305_000)
    assert sum(spent for _, spent, _ in data.trend) == 3_000 + 71_000 + 184_684

    assert [(card.name.split(" ")[0], card.utilisation_bp, card.over_line) for card in data.cards] == [
        ("Amex", 3_000, False),
        ("Visa", 3_000, False),
    ]
    assert data.overall_utilisation_bp == 150_000 * 10_000 // 500_000
    assert [(due.name.split(" ")[0], due.days_left, due.overdue, due.minimum_minor) for due in data.due] == [
        ("Amex", -14, True, 2_500),
        ("Visa", 5, False, 3_500),
    ]
    assert data.credit is None


def test_a_hidden_transaction_leaves_every_total(household) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(household.pk), tenant_binding(household.pk):
        rent = Transaction.objects.get(amount_minor=150_000)
        transaction_edit(user_id=household.pk, transaction_pk=rent.pk, hidden=True)
        data = dashboard_compute(user_id=household.pk, currency="USD", today=TODAY)
    assert data.spending_mtd_minor == 184_684 - 150_000
    assert "RENT_AND_UTILITIES" not in [row.primary for row in data.categories]
    assert data.trend[-1] == (date(2026, 3, 1), 184_684 - 150_000, 305_000)


def test_month_to_date_compares_with_the_same_days_of_last_month() -> None:
    assert same_day_last_month(date(2026, 3, 31)) == date(2026, 2, 28)
    assert same_day_last_month(date(2024, 3, 30)) == date(2024, 2, 29)
    assert same_day_last_month(date(2026, 1, 10)) == date(2025, 12, 10)
    assert month_start(date(2026, 1, 10), 11) == date(2025, 2, 1)


def test_other_currency_totals_are_shown_in_that_currency(household) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(household.pk), tenant_binding(household.pk):
        data = dashboard_compute(user_id=household.pk, currency="EUR", today=TODAY)
    assert (data.cash_minor, data.spending_mtd_minor, data.other_currency_accounts) == (77_700, 7_000, 5)


def test_the_page_shows_the_numbers_in_the_users_currency(household) -> None:  # type: ignore[no-untyped-def]
    onboarded(household.pk)
    page = client_for(household).get("/app/")
    assert page.status_code == 200
    html = page.content.decode()
    for text in (
        "$6,000.00",
        "$1,500.00",
        "$4,500.00",
        "Overall <strong",
        "30.0 %",
        "Minimum",
        "$25.00",
        "Overdue",
    ):
        assert text in html, text
    # The fixture's months are long past: twelve empty bars, and no spending this month.
    assert 'data-chart="trend-chart"' in html and "No spending yet this month." in html
    assert 'data-chart-money="USD"' in html
    assert "1 account in other currencies is not included" in html


def test_queries_are_few_and_a_second_view_comes_from_the_cache(
    household, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    onboarded(household.pk)
    client = client_for(household)
    with django_assert_max_num_queries(15):
        assert client.get("/app/").status_code == 200
    with django_assert_max_num_queries(9):  # session, user, tenant, cache keys + the nav's unread-alert count
        assert client.get("/app/").status_code == 200


def test_a_recategorisation_and_a_sync_invalidate_the_cache() -> None:
    user = UserFactory()
    onboarded(user.pk)
    today = local_today(user.timezone)
    with tenant_context(user.pk):
        checking = b.account(user.pk, balance=1_000)
        coffee = b.txn(user.pk, checking, amount=700, day=month_start(today))
    client = client_for(user)
    assert client.get("/app/").context["data"].spending_mtd_minor == 700

    with tenant_context(user.pk), tenant_binding(user.pk):
        transaction_recategorise(user_id=user.pk, transaction_pk=coffee.pk, category="TRANSFER_OUT_SAVINGS")
    assert client.get("/app/").context["data"].spending_mtd_minor == 0

    with tenant_context(user.pk):  # a sync wrote rows: the cached page is stale until its follow-up
        b.txn(user.pk, checking, amount=300, day=month_start(today))
    assert client.get("/app/").context["data"].spending_mtd_minor == 0
    item_data_changed(user_id=user.pk)
    assert client.get("/app/").context["data"].spending_mtd_minor == 300


def test_a_new_person_goes_to_the_setup_wizard_first() -> None:
    user = UserFactory()
    response = client_for(user).get("/app/")
    assert response.status_code == 302 and response["Location"] == "/app/welcome/"


def test_the_live_sync_line_polls_while_a_bank_syncs_and_reloads_when_done() -> None:
    user = UserFactory()
    onboarded(user.pk)
    with tenant_context(user.pk):
        item = PlaidItem.objects.create(
            user_id=user.pk,
            item_id="item-1",
            institution_name="Tartan Bank",
            access_token_encrypted="x",
            sync_state="running",
            sync_state_at=timezone.now(),
        )
        b.account(user.pk, item=item)
    client = client_for(user)
    page = client.get("/app/").content.decode()
    assert 'hx-trigger="every 2s"' in page and "Syncing Tartan Bank" in page

    still = client.get("/app/sync-status/?was=syncing")
    assert "HX-Refresh" not in still and "Syncing Tartan Bank" in still.content.decode()
    with tenant_context(user.pk):
        PlaidItem.objects.filter(pk=item.pk).update(sync_state="idle", last_synced_at=item.created_at)
    done = client.get("/app/sync-status/?was=syncing")
    assert done["HX-Refresh"] == "true" and "every 2s" not in done.content.decode()


def test_credit_score_trend_and_factors_come_from_the_latest_reports() -> None:
    user = UserFactory()
    onboarded(user.pk)
    today = local_today(user.timezone)
    with tenant_context(user.pk):
        b.account(user.pk)
        for days_ago, value in ((60, 690), (30, 702), (0, 715)):
            day = today - timedelta(days=days_ago)
            report = CreditReport.objects.create(
                user_id=user.pk, pulled_on=day, trigger="scheduled", raw_encrypted="-"
            )
            CreditScore.objects.create(
                user_id=user.pk,
                report=report,
                model="V4",
                model_name="VantageScore 4.0",
                value=value,
                date=day,
            )
        ScoreFactor.objects.create(
            user_id=user.pk,
            report=report,
            model="V4",
            rank=1,
            code="12",
            text="Too many accounts with balances",
        )
    response = client_for(user).get("/app/")
    credit = response.context["data"].credit
    assert (credit.score, credit.change, credit.band) == (715, 13, "Good")
    assert [value for _, value in credit.history] == [690, 702, 715]
    assert credit.factors == ["Too many accounts with balances"]
    assert 'data-chart="credit-chart"' in response.content.decode()


def test_another_persons_numbers_never_show(household) -> None:  # type: ignore[no-untyped-def]
    stranger = UserFactory()
    onboarded(stranger.pk)
    with tenant_context(stranger.pk):
        b.account(stranger.pk, balance=1_00)
    data = client_for(stranger).get("/app/").context["data"]
    assert (data.cash_minor, data.spending_mtd_minor, data.cards, data.due) == (100, 0, [], [])
