"""The finance resources of the REST API against the pages: the same amounts, categories, filters and
totals; edits through the page's services (rules included); cards, categories, spending summaries
and their cache; and every list and detail refusing another person's ids."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from creditapp.core.localtime import local_today
from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.insights.categories import category_label, primary_label
from finance.insights.dashboard import dashboard_compute
from finance.insights.spending import month_start
from finance.models import Account, Transaction, TransactionRule
from notifications.models import WebhookDelivery
from notifications.webhooks import webhook_endpoint_create
from tests.api.client import Api
from tests.billing.conftest import make_user, put_on_plan
from tests.finance import builders as b

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "maint"]),
    pytest.mark.urls("tests.billing.urls"),
]


def error_fields(response: Any) -> list[str]:
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid_request"
    return sorted(error["details"]["fields"])


def assert_not_found(response: Any) -> None:
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.fixture
def people() -> dict[str, Any]:
    """Alice and Bob on Pro. Alice's month so far: groceries, coffee, rent, a paycheck, a card payment,
    a pending dinner and shopping on her card; last month a coffee. Bob has one coffee."""
    alice, bob = make_user(joined_days_ago=60), make_user(joined_days_ago=60)
    put_on_plan(alice, "pro")
    put_on_plan(bob, "pro")
    today = local_today(alice.timezone)
    first = month_start(today)
    last_month = month_start(today, 1)
    found: dict[str, Any] = {"alice": alice, "bob": bob, "today": today}
    with tenant_context(alice.pk):
        checking = b.account(alice.pk, balance=500_000, name="Everyday Checking")
        card = b.account(
            alice.pk, type="credit", balance=120_000, credit_limit_minor=400_000, name="Visa", mask="4242"
        )
        store = b.account(alice.pk, type="credit", balance=50_000, credit_limit_minor=100_000, name="Store")
        b.liability(
            alice.pk,
            card,
            last_statement_balance_minor=110_000,
            last_statement_issue_date=first,
            minimum_payment_minor=3_500,
            next_payment_due_date=today + timedelta(days=5),
            purchase_apr_bp=2_499,
            aprs=[{"type": "purchase_apr", "apr_bp": 2_499, "balance_subject_minor": 110_000}],
        )
        rows = {
            "safeway": b.txn(alice.pk, checking, amount=1_191, day=first, name="SAFEWAY #1234",
                             merchant="Safeway", category="FOOD_AND_DRINK_GROCERIES"),
            "coffee1": b.txn(alice.pk, checking, amount=450, day=first, name="Starbucks 0612",
                             merchant="Starbucks"),
            "coffee2": b.txn(alice.pk, card, amount=525, day=today, name="Starbucks 0713",
                             merchant="Starbucks"),
            "coffee_old": b.txn(alice.pk, checking, amount=600, day=last_month, name="Starbucks 0511",
                                merchant="Starbucks"),
            "rent": b.txn(alice.pk, checking, amount=150_000, day=first, name="Rent May",
                          category="RENT_AND_UTILITIES_RENT"),
            "pay": b.txn(alice.pk, checking, amount=-300_000, day=first, name="ACME PAYROLL",
                         category="INCOME_SALARY"),
            "card_payment": b.txn(alice.pk, checking, amount=20_000, day=today, name="Visa payment",
                                  category="LOAN_PAYMENTS_CREDIT_CARD_PAYMENT"),
            "dinner": b.txn(alice.pk, card, amount=999, day=today, name="Diner", pending=True,
                            category="FOOD_AND_DRINK_RESTAURANT"),
            "amazon": b.txn(alice.pk, card, amount=4_999, day=today, name="AMZN Mktp", merchant="Amazon",
                            category="GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"),
        }  # fmt: skip
    with tenant_context(bob.pk):
        bobs_account = b.account(bob.pk, name="Bob checking")
        bobs_card = b.account(bob.pk, type="credit", credit_limit_minor=1_000, name="Bob card")
        bobs_coffee = b.txn(
            bob.pk, bobs_account, amount=450, day=first, merchant="Starbucks", name="Starbucks"
        )
    found.update(
        checking=checking, card=card, store=store, rows=rows, bobs_account=bobs_account, bobs_card=bobs_card,
        bobs_coffee=bobs_coffee, api=Api(alice), bobs_api=Api(bob),
    )  # fmt: skip
    return found


def page_ids(client: Client, **params: Any) -> list[int]:
    response = client.get("/app/transactions/", params)
    assert response.status_code == 200
    return [int(pk) for pk in re.findall(r'<tr id="txn-(\d+)"', response.content.decode())]


def api_ids(api: Api, **params: Any) -> list[int]:
    response = api.get("/api/v1/transactions/", page_size=500, **params)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# --- transactions: one truth with the page and the CSV ------------------------------------------------
def test_amount_and_category_are_what_the_page_and_the_csv_show(people: dict[str, Any]) -> None:
    alice, safeway, amazon = people["alice"], people["rows"]["safeway"], people["rows"]["amazon"]
    browser = Client()
    browser.force_login(alice)
    # Alice recategorises Amazon on the page; Safeway keeps the bank's category.
    saved = browser.post(
        f"/app/transactions/{amazon.pk}/category/",
        {"category": "GENERAL_MERCHANDISE_ELECTRONICS"},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200
    export = browser.get("/app/transactions/export.csv")
    assert export.status_code == 200
    csv_rows = {row["Description"]: row for row in csv.DictReader(io.StringIO(export.content.decode()))}
    page = browser.get("/app/transactions/").content.decode()

    api = people["api"]
    for row, bank in (
        (safeway, "FOOD_AND_DRINK_GROCERIES"),
        (amazon, "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES"),
    ):
        body = api.get(f"/api/v1/transactions/{row.pk}/").json()
        line = csv_rows[row.name]
        assert Decimal(line["Amount"]) * 100 == body["amount_minor"] == -row.amount_minor
        assert line["Currency"] == body["currency"] == "USD"
        assert line["Category"] == primary_label(body["category"])
        assert body["category_label"] == category_label(body["category"], body["category_detailed"])
        assert body["category_label"] in page
        assert body["bank_category_detailed"] == bank
    safeway_body = api.get(f"/api/v1/transactions/{safeway.pk}/").json()
    assert safeway_body["amount_minor"] == -1_191 and "-$11.91" in page
    assert (safeway_body["category_detailed"], safeway_body["category_source"]) == (
        "FOOD_AND_DRINK_GROCERIES",
        "bank",
    )
    amazon_body = api.get(f"/api/v1/transactions/{amazon.pk}/").json()
    assert (amazon_body["category"], amazon_body["category_detailed"], amazon_body["category_source"]) == (
        "GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ELECTRONICS", "user",
    )  # fmt: skip
    assert csv_rows[amazon.name]["Subcategory"] == "Electronics" == amazon_body["category_label"]
    assert amazon_body["bank_category"] == "GENERAL_MERCHANDISE"
    assert {"notes", "hidden", "payment_channel", "pending", "authorized_date"} <= set(amazon_body)


def test_the_lists_filters_match_the_pages(people: dict[str, Any]) -> None:
    browser = Client()
    browser.force_login(people["alice"])
    api, today, card = people["api"], people["today"], people["card"]
    same = [
        ({}, {}),
        ({"q": "starbucks"}, {"q": "starbucks"}),
        ({"q": '"acme payroll"'}, {"q": '"acme payroll"'}),
        ({"category": "FOOD_AND_DRINK"}, {"category": "FOOD_AND_DRINK"}),
        ({"min": "10", "max": "100"}, {"min_amount_minor": 1_000, "max_amount_minor": 10_000}),
        ({"min": "10", "flow": "out"}, {"min_amount_minor": 1_000, "flow": "out"}),
        ({"flow": "in"}, {"flow": "in"}),
        ({"start": today.isoformat(), "end": today.isoformat()}, {"date_from": today, "date_to": today}),
        ({"account": card.pk}, {"account": card.pk}),
        ({"pending": "yes"}, {"pending": "true"}),
        ({"pending": "no", "account": card.pk}, {"pending": "false", "account": card.pk}),
    ]
    for page_params, api_params in same:
        expected = page_ids(browser, **page_params)
        assert api_ids(api, **api_params) == expected, (page_params, api_params)
    assert len(api_ids(api)) == 9
    coffee = api_ids(api, category="FOOD_AND_DRINK_COFFEE")
    assert len(coffee) == 3
    assert api_ids(api, category="none") == []
    assert api_ids(api, account=people["bobs_account"].pk) == []


BAD_FILTERS = [
    ("category", "NOT_A_CATEGORY"),
    ("category", "food_and_drink"),
    ("pending", "yes"),
    ("pending", "1"),
    ("flow", "sideways"),
    ("min_amount_minor", "-1"),
    ("min_amount_minor", "1.5"),
    ("max_amount_minor", "ten"),
    ("max_amount_minor", "9" * 30),
    ("date_from", "2026-13-01"),
    ("date_to", "yesterday"),
    ("account", "abc"),
    ("q", "x" * 201),
    ("categroy", "FOOD_AND_DRINK"),  # a misspelt filter is refused, not ignored
]


def test_bad_filters_are_a_400_naming_the_parameter(people: dict[str, Any]) -> None:
    api = people["api"]
    for name, value in BAD_FILTERS:
        assert error_fields(api.get("/api/v1/transactions/", **{name: value})) == [name], (name, value)
    backwards = api.get("/api/v1/transactions/", min_amount_minor=500, max_amount_minor=100)
    assert error_fields(backwards) == ["max_amount_minor"]
    assert error_fields(api.get("/api/v1/transactions/", date_from="2026-03-02", date_to="2026-03-01")) == [
        "date_to"
    ]


def test_transactions_are_the_callers_own(people: dict[str, Any]) -> None:
    api, bobs = people["api"], people["bobs_coffee"]
    assert bobs.pk not in api_ids(api)
    assert_not_found(api.get(f"/api/v1/transactions/{bobs.pk}/"))
    assert_not_found(api.patch(f"/api/v1/transactions/{bobs.pk}/", {"notes": "mine now"}))
    assert_not_found(api.get("/api/v1/transactions/999999999/"))
    with tenant_context(people["bob"].pk):
        assert Transaction.objects.get(pk=bobs.pk).notes == ""


# --- transactions: edits -------------------------------------------------------------------------------
def test_patch_notes_hidden_and_category_through_the_pages_services(
    people: dict[str, Any], settings: Any
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    alice, api, coffee = people["alice"], people["api"], people["rows"]["coffee1"]
    with tenant_context(alice.pk):
        webhook_endpoint_create(
            user_id=alice.pk, url="https://127.0.0.1:9/hook", events=["transactions.changed"]
        )
    url = f"/api/v1/transactions/{coffee.pk}/"

    noted = api.patch(url, {"notes": "with Sam", "hidden": True})
    assert noted.status_code == 200
    assert (noted.json()["notes"], noted.json()["hidden"]) == ("with Sam", True)
    recategorised = api.patch(url, {"category": "FOOD_AND_DRINK_RESTAURANT"}).json()
    assert (recategorised["category_detailed"], recategorised["category_source"]) == (
        "FOOD_AND_DRINK_RESTAURANT", "user",
    )  # fmt: skip
    primary_only = api.patch(url, {"category": "ENTERTAINMENT"}).json()
    assert (primary_only["category"], primary_only["category_detailed"], primary_only["category_label"]) == (
        "ENTERTAINMENT", "", "Entertainment",
    )  # fmt: skip
    back = api.patch(url, {"category": None}).json()
    assert (back["category_detailed"], back["category_source"], back["notes"]) == (
        "FOOD_AND_DRINK_COFFEE", "bank", "with Sam",
    )  # fmt: skip
    with tenant_context(alice.pk):
        stored = Transaction.objects.get(pk=coffee.pk)
        assert (stored.notes, stored.hidden, stored.category_source) == ("with Sam", True, "")
        # Every edit told the webhooks which transactions changed.
        sent = list(WebhookDelivery.objects.order_by("id").values_list("event", "payload"))
    assert [event for event, _ in sent] == ["transactions.changed"] * 4
    assert all(payload["data"] == {"transaction_ids": [coffee.pk]} for _, payload in sent)


def test_bad_edits_are_a_400_and_change_nothing(people: dict[str, Any]) -> None:
    api, coffee = people["api"], people["rows"]["coffee1"]
    url = f"/api/v1/transactions/{coffee.pk}/"
    assert error_fields(api.patch(url, {"category": "NOT_A_CATEGORY"})) == ["category"]
    assert error_fields(api.patch(url, {"hidden": "yes"})) == ["hidden"]
    assert error_fields(api.patch(url, {"notes": "x" * 5001})) == ["notes"]
    assert error_fields(api.patch(url, {"amount_minor": 1})) == ["amount_minor"]  # read-only: refused
    assert error_fields(api.patch(url, {"apply_to_similar": True})) == ["apply_to_similar"]
    assert error_fields(api.patch(url, {})) == ["non_field_errors"]
    assert error_fields(api.patch(url, ["notes"])) == ["non_field_errors"]
    assert api.client.patch(url, "{", content_type="application/json", **api.auth).status_code == 400
    assert api.client.put(url, "{}", content_type="application/json", **api.auth).status_code == 405
    assert (
        api.client.post(
            "/api/v1/transactions/", "{}", content_type="application/json", **api.auth
        ).status_code
        == 405
    )
    assert api.delete(url).status_code == 405
    with tenant_context(people["alice"].pk):
        stored = Transaction.objects.get(pk=coffee.pk)
    assert (stored.notes, stored.hidden, stored.category_source) == ("", False, "")


def test_apply_to_similar_makes_a_rule_as_the_page_does(people: dict[str, Any]) -> None:
    api, rows = people["api"], people["rows"]
    body = api.patch(
        f"/api/v1/transactions/{rows['coffee1'].pk}/",
        {"category": "FOOD_AND_DRINK_RESTAURANT", "apply_to_similar": True},
    ).json()
    assert (body["category_detailed"], body["category_source"]) == ("FOOD_AND_DRINK_RESTAURANT", "user")
    with tenant_context(people["alice"].pk):
        rule = TransactionRule.objects.get()
        similar = dict(
            Transaction.objects.filter(merchant_name="Starbucks").values_list("pk", "category_source")
        )
    assert (rule.match_key, rule.label, rule.category_detailed) == (
        "starbucks",
        "Starbucks",
        "FOOD_AND_DRINK_RESTAURANT",
    )
    assert similar == {rows["coffee1"].pk: "user", rows["coffee2"].pk: "rule", rows["coffee_old"].pk: "rule"}
    listed = api_ids(api, category="FOOD_AND_DRINK_RESTAURANT")
    assert sorted(listed) == sorted([*similar, rows["dinner"].pk])
    with tenant_context(people["bob"].pk):  # Bob's Starbucks is his own business
        assert Transaction.objects.get(pk=people["bobs_coffee"].pk).category_source == ""


# --- accounts ---------------------------------------------------------------------------------------------
def test_accounts_rename_and_hide(people: dict[str, Any]) -> None:
    api, checking = people["api"], people["checking"]
    url = f"/api/v1/accounts/{checking.pk}/"
    listed = api.get("/api/v1/accounts/").json()
    assert set(listed) == {"next", "previous", "results"} and len(listed["results"]) == 3
    before = api.get(url).json()
    assert (before["name"], before["bank_name"], before["custom_name"], before["hidden"]) == (
        "Everyday Checking", "Everyday Checking", "", False,
    )  # fmt: skip
    assert before["balances"] == {"current_minor": 500_000, "available_minor": None}

    renamed = api.patch(url, {"custom_name": "  Bills  ", "hidden": True}).json()
    assert (renamed["name"], renamed["bank_name"], renamed["custom_name"], renamed["hidden"]) == (
        "Bills", "Everyday Checking", "Bills", True,
    )  # fmt: skip
    browser = Client()
    browser.force_login(people["alice"])
    assert "Bills" in browser.get("/app/transactions/").content.decode()  # the page names it the same
    reset = api.patch(url, {"custom_name": ""}).json()
    assert (reset["name"], reset["custom_name"], reset["hidden"]) == ("Everyday Checking", "", True)

    assert error_fields(api.patch(url, {"custom_name": "x" * 201})) == ["custom_name"]
    assert error_fields(api.patch(url, {"hidden": "maybe"})) == ["hidden"]
    assert error_fields(api.patch(url, {"name": "Hacked"})) == ["name"]
    assert api.post("/api/v1/accounts/", {"name": "new"}).status_code == 405
    assert api.delete(url).status_code == 405


def test_accounts_are_the_callers_own(people: dict[str, Any]) -> None:
    api, bobs = people["api"], people["bobs_account"]
    assert bobs.pk not in {a["id"] for a in api.get("/api/v1/accounts/").json()["results"]}
    assert_not_found(api.get(f"/api/v1/accounts/{bobs.pk}/"))
    assert_not_found(api.patch(f"/api/v1/accounts/{bobs.pk}/", {"custom_name": "Mine"}))
    with tenant_context(people["bob"].pk):
        assert Account.objects.get(pk=bobs.pk).custom_name == ""


# --- categories ---------------------------------------------------------------------------------------------
def test_categories_are_the_taxonomy_and_your_own(people: dict[str, Any]) -> None:
    api = people["api"]
    api.patch(
        f"/api/v1/transactions/{people['rows']['amazon'].pk}/",
        {"category": "GENERAL_MERCHANDISE_ELECTRONICS"},
    )
    api.post("/api/v1/rules/", {"match_text": "Safeway", "category": "FOOD_AND_DRINK_GROCERIES"})
    body = api.get("/api/v1/categories/").json()
    food = next(c for c in body["taxonomy"] if c["code"] == "FOOD_AND_DRINK")
    assert food["label"] == "Food and drink"
    assert {"code": "FOOD_AND_DRINK_COFFEE", "label": "Coffee"} in food["detailed"]
    assert next(c for c in body["taxonomy"] if c["code"] == "GENERAL_MERCHANDISE")["label"] == "Shopping"
    assert body["yours"] == [
        {"category": "FOOD_AND_DRINK", "category_detailed": "FOOD_AND_DRINK_GROCERIES", "label": "Groceries",
         "transactions": 1, "rules": 1},
        {"category": "GENERAL_MERCHANDISE", "category_detailed": "GENERAL_MERCHANDISE_ELECTRONICS",
         "label": "Electronics", "transactions": 1, "rules": 0},
    ]  # fmt: skip
    assert people["bobs_api"].get("/api/v1/categories/").json()["yours"] == []


# --- rules --------------------------------------------------------------------------------------------
def test_rules_crud_applies_and_unapplies_as_the_web_app(people: dict[str, Any]) -> None:
    api, rows, alice = people["api"], people["rows"], people["alice"]
    # A hand-picked category survives a new rule for the same merchant.
    api.patch(f"/api/v1/transactions/{rows['coffee2'].pk}/", {"category": "FOOD_AND_DRINK_FAST_FOOD"})
    created = api.post("/api/v1/rules/", {"transaction": rows["coffee1"].pk, "category": "ENTERTAINMENT"})
    assert created.status_code == 201, created.content
    rule = created.json()
    assert (rule["match_key"], rule["label"], rule["category"], rule["category_detailed"]) == (
        "starbucks", "Starbucks", "ENTERTAINMENT", "",
    )  # fmt: skip

    def sources() -> dict[str, tuple[str, str]]:
        with tenant_context(alice.pk):
            return {
                key: Transaction.objects.values_list("category_source", "effective_category_detailed").get(
                    pk=row.pk
                )
                for key, row in rows.items()
                if key.startswith("coffee")
            }

    assert sources() == {
        "coffee1": ("rule", ""), "coffee2": ("user", "FOOD_AND_DRINK_FAST_FOOD"), "coffee_old": ("rule", ""),
    }  # fmt: skip
    url = f"/api/v1/rules/{rule['id']}/"
    assert api.get(url).json() == rule
    assert [r["id"] for r in api.get("/api/v1/rules/").json()["results"]] == [rule["id"]]

    clash = api.post("/api/v1/rules/", {"match_text": "STARBUCKS #99", "category": "TRAVEL"})
    assert clash.status_code == 409
    assert clash.json()["error"]["code"] == "rule_exists"
    assert clash.json()["error"]["details"] == {"rule": rule["id"]}

    changed = api.patch(url, {"category": "FOOD_AND_DRINK_COFFEE", "label": "Coffee shops"}).json()
    assert (changed["category_detailed"], changed["label"], changed["match_key"]) == (
        "FOOD_AND_DRINK_COFFEE", "Coffee shops", "starbucks",
    )  # fmt: skip
    assert sources()["coffee1"] == sources()["coffee_old"] == ("rule", "FOOD_AND_DRINK_COFFEE")

    assert api.delete(url).status_code == 204
    assert sources() == {
        "coffee1": ("", "FOOD_AND_DRINK_COFFEE"), "coffee2": ("user", "FOOD_AND_DRINK_FAST_FOOD"),
        "coffee_old": ("", "FOOD_AND_DRINK_COFFEE"),
    }  # fmt: skip
    assert_not_found(api.get(url))

    by_text = api.post(
        "/api/v1/rules/", {"match_text": "Amazon", "category": "GENERAL_MERCHANDISE_ELECTRONICS"}
    )
    assert by_text.status_code == 201 and by_text.json()["match_key"] == "amazon"
    assert api.get(f"/api/v1/transactions/{rows['amazon'].pk}/").json()["category_source"] == "rule"


def test_bad_rules_are_a_400(people: dict[str, Any]) -> None:
    api, rows = people["api"], people["rows"]
    assert error_fields(api.post("/api/v1/rules/", {"match_text": "Amazon"})) == ["category"]
    assert error_fields(api.post("/api/v1/rules/", {"match_text": "Amazon", "category": "NOPE"})) == [
        "category"
    ]
    assert error_fields(api.post("/api/v1/rules/", {"category": "TRAVEL"})) == ["non_field_errors"]
    both = {"match_text": "Amazon", "transaction": rows["amazon"].pk, "category": "TRAVEL"}
    assert error_fields(api.post("/api/v1/rules/", both)) == ["non_field_errors"]
    assert error_fields(api.post("/api/v1/rules/", {"match_text": "#1234", "category": "TRAVEL"})) == [
        "match_text"
    ]
    theirs = {"transaction": people["bobs_coffee"].pk, "category": "TRAVEL"}
    assert error_fields(api.post("/api/v1/rules/", theirs)) == ["transaction"]
    assert error_fields(api.post("/api/v1/rules/", {"match_text": "A", "category": "TRAVEL", "x": 1})) == [
        "x"
    ]
    with tenant_context(people["alice"].pk):
        assert not TransactionRule.objects.exists()


def test_rules_are_the_callers_own(people: dict[str, Any]) -> None:
    bobs = people["bobs_api"].post("/api/v1/rules/", {"match_text": "Starbucks", "category": "TRAVEL"}).json()
    api, url = people["api"], f"/api/v1/rules/{bobs['id']}/"
    assert api.get("/api/v1/rules/").json()["results"] == []
    assert_not_found(api.get(url))
    assert_not_found(api.patch(url, {"label": "mine"}))
    assert_not_found(api.delete(url))
    # Alice may have her own rule for the same merchant: rules are unique per person.
    assert api.post("/api/v1/rules/", {"match_text": "Starbucks", "category": "TRAVEL"}).status_code == 201
    assert people["bobs_api"].get(url).json()["label"] == "Starbucks"


# --- cards --------------------------------------------------------------------------------------------
def test_cards_show_utilisation_and_the_statement(people: dict[str, Any]) -> None:
    api, card, store, today = people["api"], people["card"], people["store"], people["today"]
    listed = api.get("/api/v1/cards/").json()
    assert [c["id"] for c in listed["results"]] == [store.pk, card.pk]  # credit accounts only
    visa = api.get(f"/api/v1/cards/{card.pk}/").json()
    assert visa == next(c for c in listed["results"] if c["id"] == card.pk)
    assert {key: visa[key] for key in (
        "name", "mask", "balance_minor", "credit_limit_minor", "utilisation_bp", "over_utilisation_line",
        "statement_balance_minor", "minimum_payment_minor", "next_payment_due_date", "overdue",
        "purchase_apr_bp",
    )} == {
        "name": "Visa", "mask": "4242", "balance_minor": 120_000, "credit_limit_minor": 400_000,
        "utilisation_bp": 3_000, "over_utilisation_line": False, "statement_balance_minor": 110_000,
        "minimum_payment_minor": 3_500, "next_payment_due_date": (today + timedelta(days=5)).isoformat(),
        "overdue": False, "purchase_apr_bp": 2_499,
    }  # fmt: skip
    assert visa["aprs"] == [{"type": "purchase_apr", "apr_bp": 2_499, "balance_subject_minor": 110_000}]
    # The dashboard lists the same card with the same numbers.
    with tenant_context(people["alice"].pk), tenant_binding(people["alice"].pk):
        data = dashboard_compute(user_id=people["alice"].pk, currency="USD", today=today)
    due = next(row for row in data.due if row.account_id == card.pk)
    assert (due.minimum_minor, due.statement_balance_minor, due.overdue) == (3_500, 110_000, False)
    assert (
        next(row for row in data.cards if row.account_id == card.pk).utilisation_bp == visa["utilisation_bp"]
    )

    no_statement = api.get(f"/api/v1/cards/{store.pk}/").json()
    assert (no_statement["utilisation_bp"], no_statement["over_utilisation_line"]) == (5_000, True)
    assert (no_statement["statement_balance_minor"], no_statement["overdue"], no_statement["aprs"]) == (
        None,
        False,
        [],
    )


def test_cards_are_the_callers_own(people: dict[str, Any]) -> None:
    api = people["api"]
    assert people["bobs_card"].pk not in {c["id"] for c in api.get("/api/v1/cards/").json()["results"]}
    assert_not_found(api.get(f"/api/v1/cards/{people['bobs_card'].pk}/"))
    assert_not_found(api.get(f"/api/v1/cards/{people['checking'].pk}/"))  # an account, not a card


# --- spending -----------------------------------------------------------------------------------------
def test_spending_is_what_the_dashboard_shows(people: dict[str, Any]) -> None:
    api, alice, today = people["api"], people["alice"], people["today"]
    with tenant_context(alice.pk), tenant_binding(alice.pk):
        data = dashboard_compute(user_id=alice.pk, currency="USD", today=today)

    by_category = api.get("/api/v1/spending/", group_by="category").json()
    assert (by_category["date_from"], by_category["date_to"]) == (
        month_start(today).isoformat(),
        today.isoformat(),
    )
    assert by_category["currency"] == "USD"
    assert [
        (row["key"], row["label"], row["spending_minor"])
        for row in by_category["results"]
        if row["spending_minor"] > 0
    ] == [(row.primary, row.label, row.amount_minor) for row in data.categories]
    assert by_category["spending_minor"] == data.spending_mtd_minor == 1_191 + 450 + 525 + 150_000 + 4_999
    assert by_category["income_minor"] == data.income_mtd_minor == 300_000

    by_month = api.get("/api/v1/spending/", group_by="month").json()
    assert [(row["key"], row["spending_minor"], row["income_minor"]) for row in by_month["results"]] == [
        (month.strftime("%Y-%m"), spent, earned) for month, spent, earned in data.trend
    ]
    assert len(by_month["results"]) == 12 and by_month["results"][-2]["spending_minor"] == 600

    by_merchant = api.get("/api/v1/spending/", group_by="merchant", date_from=month_start(today, 1)).json()
    starbucks = next(row for row in by_merchant["results"] if row["key"] == "starbucks")
    assert (starbucks["label"], starbucks["spending_minor"], starbucks["transactions"]) == (
        "Starbucks",
        1_575,
        3,
    )
    on_card = api.get("/api/v1/spending/", account=people["card"].pk).json()
    assert on_card["spending_minor"] == 525 + 4_999  # the pending dinner does not count yet
    # The transactions page, filtered to the same money out, adds up to the same posted spending.
    browser = Client()
    browser.force_login(alice)
    totals = browser.get("/app/transactions/", {"account": people["card"].pk}).context["totals"]
    assert totals.out_minor == on_card["spending_minor"]
    assert people["bobs_api"].get("/api/v1/spending/", account=people["card"].pk).json()["results"] == []


def test_an_edit_a_sync_and_a_deletion_change_the_next_spending_answer(people: dict[str, Any]) -> None:
    api, alice, rows, today = people["api"], people["alice"], people["rows"], people["today"]

    def spent() -> int:
        return int(api.get("/api/v1/spending/").json()["spending_minor"])

    before = spent()
    assert spent() == before  # from the cache, unchanged
    api.patch(f"/api/v1/transactions/{rows['rent'].pk}/", {"category": "TRANSFER_OUT_SAVINGS"})
    assert spent() == before - 150_000
    api.patch(f"/api/v1/transactions/{rows['amazon'].pk}/", {"hidden": True})
    assert spent() == before - 150_000 - 4_999
    with tenant_context(alice.pk):  # a sync brings a new row
        b.txn(
            alice.pk,
            people["checking"],
            amount=1_000,
            day=today,
            name="Lunch",
            category="FOOD_AND_DRINK_RESTAURANT",
        )
    assert spent() == before - 150_000 - 4_999 + 1_000
    with tenant_context(alice.pk):  # and Plaid removes one
        Transaction.objects.filter(pk=rows["safeway"].pk).delete()
    assert spent() == before - 150_000 - 4_999 + 1_000 - 1_191
    # The dashboard agrees: the hidden purchase is not spending there either.
    with tenant_context(alice.pk), tenant_binding(alice.pk):
        assert dashboard_compute(user_id=alice.pk, currency="USD", today=today).spending_mtd_minor == spent()


def test_bad_spending_parameters_are_a_400(people: dict[str, Any]) -> None:
    api = people["api"]
    for name, value in (
        ("group_by", "week"), ("date_from", "2026-02-30"), ("date_to", "x"), ("account", "one"),
        ("account", "0"), ("currency", "usd"), ("currency", "DOLLARS"), ("cursor", "abc"),
    ):  # fmt: skip
        assert error_fields(api.get("/api/v1/spending/", **{name: value})) == [name], (name, value)
    assert error_fields(api.get("/api/v1/spending/", date_from="2026-03-02", date_to="2026-03-01")) == [
        "date_to"
    ]
    assert error_fields(api.get("/api/v1/spending/", date_from="1900-01-01", date_to="2026-01-01")) == [
        "date_from"
    ]


# --- throttling ---------------------------------------------------------------------------------------
def test_reads_and_writes_are_counted_as_their_kind(people: dict[str, Any], settings: Any) -> None:
    api = people["api"]
    read = api.get("/api/v1/spending/")
    write = api.patch(f"/api/v1/accounts/{people['checking'].pk}/", {"hidden": False})
    rates = settings.API_RATE_LIMITS["pro"]
    assert read["RateLimit-Limit"] == rates["read"].split("/")[0]
    assert write["RateLimit-Limit"] == rates["write"].split("/")[0]
