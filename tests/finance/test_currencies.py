"""Amounts show in their own currency's decimals on every page and in the CSV export: ¥1,000 has none,
BHD 1.234 has three. Totals are in the person's currency (User.currency); each transaction carries its own."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.test import Client

from creditapp.tenancy.db import tenant_context
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

DAY = date(2026, 5, 10)


@pytest.fixture
def traveller():  # type: ignore[no-untyped-def]
    """Someone who banks in yen, with a dinar account too."""
    user = UserFactory(currency="JPY")
    with tenant_context(user.pk):
        yen = b.account(user.pk, name="Yen Checking", currency="JPY", balance=250_000)
        dinar = b.account(user.pk, name="Dinar Savings", currency="BHD", balance=1_234_567)
        b.txn(user.pk, yen, amount=1_000, day=DAY, merchant="Sushi Zen")
        b.txn(user.pk, yen, amount=-300_000, day=DAY, merchant="Salary KK", category="INCOME_WAGES")
        b.txn(user.pk, yen, amount=400, day=DAY, merchant="Kissa")
        b.txn(user.pk, dinar, amount=1_234, day=DAY, merchant="Manama Souq")
    client = Client()
    client.force_login(user)
    return client, yen, dinar


def test_the_transactions_page_shows_each_amount_in_its_currency(traveller) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = traveller
    html = client.get("/app/transactions/").content.decode()
    for text in ("-¥1,000", "+¥300,000", "-¥400", "-BHD 1.234"):
        assert text in html, text
    assert "¥10.00" not in html and "BHD 12.34" not in html
    # Totals in the person's currency: the dinar row is not added to yen.
    assert "¥1,400 out" in html and "¥300,000 in" in html


def test_amount_filters_are_typed_in_the_persons_currency(traveller) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = traveller
    shown = client.get("/app/transactions/?min=1000&max=1000").context["transactions"]
    assert [t.merchant_name for t in shown] == ["Sushi Zen"]
    fraction = client.get("/app/transactions/?min=0.5")
    assert "Ensure that there are no more than 0 decimal places." in fraction.content.decode()
    assert 'step="1"' in fraction.content.decode()


def test_the_account_page_shows_balances_and_rows_in_the_accounts_currency(traveller) -> None:  # type: ignore[no-untyped-def]
    client, yen, dinar = traveller
    yen_page = client.get(f"/app/accounts/{yen.pk}/").content.decode()
    assert "¥250,000" in yen_page and "-¥1,000" in yen_page
    dinar_page = client.get(f"/app/accounts/{dinar.pk}/").content.decode()
    assert "BHD 1,234.567" in dinar_page and "-BHD 1.234" in dinar_page


def test_the_csv_export_writes_each_amount_with_its_currencys_decimals(traveller) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = traveller
    response = client.get("/app/transactions/export.csv")
    assert response.status_code == 200
    amounts = {
        row["Merchant"]: (row["Amount"], row["Currency"])
        for row in csv.DictReader(io.StringIO(response.content.decode()))
    }
    assert amounts == {
        "Sushi Zen": ("-1000", "JPY"),
        "Salary KK": ("300000", "JPY"),
        "Kissa": ("-400", "JPY"),
        "Manama Souq": ("-1.234", "BHD"),
    }
