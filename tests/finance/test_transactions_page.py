"""The transactions page: every filter, search, sort, keyset pages, totals, recategorising, CSV export."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from creditapp.tenancy.db import tenant_context
from finance.banking.sync import transactions_ingest
from finance.insights.edits import transaction_edit
from finance.models import Transaction, TransactionRule
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

DAY = date(2026, 5, 10)


def client_for(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [t.merchant_name or t.name for t in response.context["transactions"]]


@pytest.fixture
def ledger():  # type: ignore[no-untyped-def]
    user = UserFactory()
    with tenant_context(user.pk):
        checking = b.account(user.pk, name="Checking")
        card = b.account(user.pk, type="credit", name="Visa")
        b.txn(user.pk, checking, amount=450, day=DAY, merchant="Starbucks", name="Starbucks Store #12")
        b.txn(
            user.pk,
            card,
            amount=1_999,
            day=DAY - timedelta(days=1),
            merchant="Uber",
            name="Uber 0612 SF**POOL**",
            category="TRANSPORTATION_TAXIS_AND_RIDE_SHARES",
        )
        b.txn(
            user.pk,
            checking,
            amount=-250_000,
            day=DAY - timedelta(days=2),
            name="Gusto Pay 123 PPD",
            merchant="Gusto",
            category="INCOME_WAGES",
        )
        b.txn(
            user.pk,
            card,
            amount=12_000,
            day=DAY - timedelta(days=3),
            merchant="Amazon",
            name="AMZN Mktp",
            category="GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            pending=True,
        )
        b.txn(
            user.pk,
            card,
            amount=-1_500,
            day=DAY - timedelta(days=4),
            merchant="Amazon",
            name="AMZN refund",
            category="GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
        )
        b.txn(
            user.pk, checking, amount=1_000, day=DAY - timedelta(days=5), name="=HYPERLINK(evil)", category=""
        )
    return user


def test_filters_by_date_account_category_pending_and_direction(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    assert names(client.get("/app/transactions/")) == [
        "Starbucks",
        "Uber",
        "Gusto",
        "Amazon",
        "Amazon",
        "=HYPERLINK(evil)",
    ]
    assert names(
        client.get(f"/app/transactions/?start={DAY - timedelta(days=2)}&end={DAY - timedelta(days=1)}")
    ) == [
        "Uber",
        "Gusto",
    ]
    with tenant_context(ledger.pk):
        card_pk = Transaction.objects.get(merchant_name="Uber").account_id
    assert names(client.get(f"/app/transactions/?account={card_pk}")) == ["Uber", "Amazon", "Amazon"]
    assert names(client.get("/app/transactions/?category=GENERAL_MERCHANDISE")) == ["Amazon", "Amazon"]
    assert names(client.get("/app/transactions/?category=none")) == ["=HYPERLINK(evil)"]
    assert names(client.get("/app/transactions/?pending=yes")) == ["Amazon"]
    assert len(names(client.get("/app/transactions/?pending=no"))) == 5
    assert names(client.get("/app/transactions/?flow=in")) == ["Gusto", "Amazon"]


def test_amounts_are_typed_in_major_units_and_compared_as_minor_integers(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    # Sizes between $10 and $20, in or out: the $10.00 charge, the $15.00 refund and the $19.99 ride.
    assert names(client.get("/app/transactions/?min=10&max=20")) == ["Uber", "Amazon", "=HYPERLINK(evil)"]
    assert names(client.get("/app/transactions/?min=10&max=19.98")) == ["Amazon", "=HYPERLINK(evil)"]
    assert names(client.get("/app/transactions/?min=10&max=20&flow=out")) == ["Uber", "=HYPERLINK(evil)"]
    assert names(client.get("/app/transactions/?min=2000")) == ["Gusto"]
    bad = client.get("/app/transactions/?min=30&max=20")
    assert "The maximum is less than the minimum." in bad.content.decode()


def test_full_text_search_uses_websearch_syntax(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    assert names(client.get("/app/transactions/?q=starbucks")) == ["Starbucks"]
    assert names(client.get("/app/transactions/?q=amazon -refund")) == ["Amazon"]
    assert names(client.get("/app/transactions/?q=taxis")) == ["Uber"]  # the category is searchable too
    assert names(client.get("/app/transactions/?q=nothing-like-this")) == []


def test_sorting_and_totals(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    assert names(client.get("/app/transactions/?sort=-amount"))[:2] == ["Amazon", "Uber"]
    assert names(client.get("/app/transactions/?sort=amount"))[0] == "Gusto"
    assert names(client.get("/app/transactions/?sort=date"))[0] == "=HYPERLINK(evil)"
    totals = client.get("/app/transactions/").context["totals"]
    # Posted only: $4.50 + $19.99 + $10.00 out; $2,500 + $15 in. The pending $120 is not money yet.
    assert (totals.count, totals.out_minor, totals.in_minor) == (6, 3_449, 251_500)


def test_a_hidden_transaction_is_listed_but_left_out_of_the_totals(ledger) -> None:  # type: ignore[no-untyped-def]
    with tenant_context(ledger.pk):
        uber = Transaction.objects.get(merchant_name="Uber")
        transaction_edit(user_id=ledger.pk, transaction_pk=uber.pk, hidden=True)
    response = client_for(ledger).get("/app/transactions/")
    assert "Uber" in names(response)
    totals = response.context["totals"]
    assert (totals.count, totals.out_minor, totals.in_minor) == (6, 3_449 - 1_999, 251_500)


def test_keyset_pages_cover_every_row_once_in_order_without_offset(django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    with tenant_context(user.pk):
        account = b.account(user.pk)
        Transaction.objects.bulk_create(
            Transaction(
                user_id=user.pk,
                account=account,
                plaid_transaction_id=f"p{i}",
                amount_minor=100 + i % 7,
                date=DAY - timedelta(days=i // 3),
                name=f"Row {i}",
            )
            for i in range(130)
        )
    client = client_for(user)
    for sort in ("-date", "-amount", "amount"):
        seen: list[int] = []
        url = f"/app/transactions/?sort={sort}"
        while url:
            with django_assert_max_num_queries(8):
                page = client.get(url)
            rows = page.context["transactions"]
            seen += [t.pk for t in rows]
            url = f"/app/transactions/?{page.context['next_query']}" if page.context["next_query"] else ""
        assert len(seen) == len(set(seen)) == 130, sort
        with tenant_context(user.pk):
            field = {
                "-date": ("-date", "-id"),
                "-amount": ("-amount_minor", "-id"),
                "amount": ("amount_minor", "id"),
            }[sort]
            assert seen == list(Transaction.objects.order_by(*field).values_list("pk", flat=True)), sort
    assert client.get("/app/transactions/?after=garbage").status_code == 400


def test_recategorise_one_then_all_similar_through_a_rule(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    with tenant_context(ledger.pk):
        amazon = Transaction.objects.filter(merchant_name="Amazon").order_by("date").first()
    assert amazon is not None
    url = f"/app/transactions/{amazon.pk}/category/"
    form = client.get(url, HTTP_HX_REQUEST="true")
    assert 'name="category"' in form.content.decode() and "<optgroup" in form.content.decode()

    one = client.post(url, {"category": "GENERAL_MERCHANDISE_ELECTRONICS"}, HTTP_HX_REQUEST="true")
    assert one.status_code == 200 and "Electronics" in one.content.decode() and "HX-Trigger" not in one
    with tenant_context(ledger.pk):
        assert Transaction.objects.filter(category_source="user").count() == 1
        assert not TransactionRule.objects.exists()

    every = client.post(
        url, {"category": "GENERAL_MERCHANDISE_ELECTRONICS", "similar": "on"}, HTTP_HX_REQUEST="true"
    )
    assert every["HX-Trigger"] == "transactions-changed"
    assert "1 similar transaction updated" in every.content.decode()
    with tenant_context(ledger.pk):
        rule = TransactionRule.objects.get()
        assert (rule.match_key, rule.category_detailed) == ("amazon", "GENERAL_MERCHANDISE_ELECTRONICS")
        assert set(
            Transaction.objects.filter(merchant_name="Amazon").values_list(
                "effective_category_detailed", flat=True
            )
        ) == {"GENERAL_MERCHANDISE_ELECTRONICS"}

        # A later sync brings a new Amazon purchase (the rule files it) and re-sends the old ones with
        # Plaid's category (the person's choice survives the upsert).
        row = (
            amazon.account_id,
            "new-amazon",
            5_000,
            "USD",
            DAY,
            None,
            "AMZN Mktp 2",
            "Amazon",
            "GENERAL_MERCHANDISE",
            "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            "online",
            False,
            "",
        )
        again = (
            amazon.account_id,
            amazon.plaid_transaction_id,
            amazon.amount_minor,
            "USD",
            amazon.date,
            None,
            amazon.name,
            "Amazon",
            "GENERAL_MERCHANDISE",
            "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            "online",
            False,
            "",
        )
        transactions_ingest(user_id=ledger.pk, rows=[row, again])
        from finance.insights.rules import rules_apply

        rules_apply(user_id=ledger.pk, plaid_ids=["new-amazon", amazon.plaid_transaction_id])
        assert Transaction.objects.get(plaid_transaction_id="new-amazon").effective_category_detailed == (
            "GENERAL_MERCHANDISE_ELECTRONICS"
        )
        kept = Transaction.objects.get(pk=amazon.pk)
        assert (kept.category_detailed, kept.effective_category_detailed, kept.category_source) == (
            "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
            "GENERAL_MERCHANDISE_ELECTRONICS",
            "user",
        )

    back = client.post(url, {"category": ""}, HTTP_HX_REQUEST="true")
    assert back.status_code == 200
    with tenant_context(ledger.pk):
        assert (
            Transaction.objects.get(pk=amazon.pk).effective_category_detailed
            == "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"
        )
    assert client.post(url, {"category": "NOT_A_CATEGORY"}, HTTP_HX_REQUEST="true").status_code == 400


def test_recategorise_without_script_is_a_page_and_a_redirect(ledger) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    with tenant_context(ledger.pk):
        coffee = Transaction.objects.get(merchant_name="Starbucks")
    page = client.get(f"/app/transactions/{coffee.pk}/category/")
    assert page.status_code == 200 and "Change category" in page.content.decode()
    done = client.post(
        f"/app/transactions/{coffee.pk}/category/",
        {"category": "FOOD_AND_DRINK_RESTAURANT", "next": "https://evil.example/"},
    )
    assert done.status_code == 302 and done["Location"] == "/app/transactions/"


def test_csv_export_has_the_filtered_rows_and_defuses_formulas(ledger) -> None:  # type: ignore[no-untyped-def]
    response = client_for(ledger).get("/app/transactions/export.csv?pending=no")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 5
    assert sum(int(row["Amount"].replace(".", "")) for row in rows) == -3_449 + 251_500
    assert (
        rows[0]["Merchant"] == "Starbucks"
        and rows[0]["Amount"] == "-4.50"
        and rows[0]["Category"] == "Food and drink"
    )
    assert rows[-1]["Description"] == "'=HYPERLINK(evil)"


def test_csv_export_needs_a_plan_that_includes_it() -> None:
    user = UserFactory(date_joined=timezone.now() - timedelta(days=90))  # trial over, no subscription
    response = client_for(user).get("/app/transactions/export.csv")
    assert response.status_code == 403 and "CSV export" in response.content.decode()


def test_another_person_sees_none_of_it(ledger) -> None:  # type: ignore[no-untyped-def]
    stranger = UserFactory()
    client = client_for(stranger)
    with tenant_context(ledger.pk):
        theirs = Transaction.objects.first()
    assert theirs is not None
    assert names(client.get("/app/transactions/")) == []
    assert names(client.get(f"/app/transactions/?account={theirs.account_id}")) == []
    assert client.get(f"/app/transactions/{theirs.pk}/category/").status_code == 404
    assert (
        client.post(
            f"/app/transactions/{theirs.pk}/category/", {"category": "FOOD_AND_DRINK_COFFEE"}
        ).status_code
        == 404
    )
    rows = list(csv.reader(io.StringIO(client.get("/app/transactions/export.csv").content.decode())))
    assert len(rows) == 1  # the header only
    with tenant_context(ledger.pk):
        assert Transaction.objects.get(pk=theirs.pk).category_source == ""


def test_the_list_costs_a_handful_of_queries(ledger, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = client_for(ledger)
    with django_assert_max_num_queries(8):
        assert client.get("/app/transactions/?q=amazon&min=1&sort=-amount").status_code == 200
