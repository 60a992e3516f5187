"""Category rules: made by "all like this", applied by syncs and imports, undone when deleted."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from creditapp.tenancy.db import tenant_binding, tenant_context
from finance.banking.sync import plaid_item_sync
from finance.insights.rules import (
    InvalidCategory,
    InvalidMatch,
    RuleExists,
    match_key_of,
    rule_create,
    rule_delete,
    rule_update,
    rules_apply,
    transaction_recategorise,
)
from finance.models import Transaction, TransactionRule
from tests.accounts.factories import UserFactory
from tests.finance import builders as b

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def test_similar_means_the_same_merchant_or_the_same_words_without_numbers() -> None:
    user = UserFactory()
    with tenant_context(user.pk):
        account = b.account(user.pk)
        first = b.txn(
            user.pk, account, amount=800, day=date(2026, 1, 2), name="Uber 0612 SF**POOL**", merchant="Uber"
        )
        b.txn(
            user.pk, account, amount=900, day=date(2026, 1, 3), name="Uber 0712 SF**POOL**", merchant="UBER"
        )
        b.txn(user.pk, account, amount=900, day=date(2026, 1, 3), name="Uber Eats 12", merchant="Uber Eats")
        atm = b.txn(
            user.pk, account, amount=4_000, day=date(2026, 1, 4), name="ATM Withdrawal 1234", category=""
        )
        b.txn(user.pk, account, amount=6_000, day=date(2026, 1, 5), name="ATM WITHDRAWAL #9876", category="")
        assert Transaction.objects.get(pk=atm.pk).match_key == "atm withdrawal"

        result = transaction_recategorise(
            user_id=user.pk, transaction_pk=first.pk, category="TRAVEL_OTHER_TRAVEL", apply_to_similar=True
        )
        assert result.similar_updated == 1  # the other Uber ride, not Uber Eats
        transaction_recategorise(
            user_id=user.pk, transaction_pk=atm.pk, category="TRANSFER_OUT_WITHDRAWAL", apply_to_similar=True
        )
        by_name = dict(Transaction.objects.values_list("name", "effective_category_detailed"))
    assert by_name["Uber 0712 SF**POOL**"] == "TRAVEL_OTHER_TRAVEL"
    assert by_name["Uber Eats 12"] == "FOOD_AND_DRINK_COFFEE"
    assert by_name["ATM WITHDRAWAL #9876"] == "TRANSFER_OUT_WITHDRAWAL"


def test_a_rule_files_future_sync_rows_but_never_overrides_a_hand_choice(link_item) -> None:  # type: ignore[no-untyped-def]
    user = UserFactory()
    item = link_item(user.pk)
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    with tenant_context(user.pk):
        starbucks = list(Transaction.objects.filter(merchant_name="Starbucks").order_by("date", "id"))
        assert len(starbucks) >= 3
        hand_picked, sample = starbucks[0], starbucks[1]
        transaction_recategorise(
            user_id=user.pk, transaction_pk=hand_picked.pk, category="FOOD_AND_DRINK_RESTAURANT"
        )
        TransactionRule.objects.create(
            user_id=user.pk,
            match_key="starbucks",
            label="Starbucks",
            category_primary="ENTERTAINMENT",
            category_detailed="ENTERTAINMENT_OTHER_ENTERTAINMENT",
        )
        # Make the sync re-send every row: forget the cursor.
        item.refresh_from_db()
        type(item).objects.filter(pk=item.pk).update(cursor="")
        assert Transaction.objects.get(pk=sample.pk).category_source == ""
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    with tenant_context(user.pk):
        assert (
            Transaction.objects.get(pk=sample.pk).effective_category_detailed
            == "ENTERTAINMENT_OTHER_ENTERTAINMENT"
        )
        kept = Transaction.objects.get(pk=hand_picked.pk)
        assert (kept.effective_category_detailed, kept.category_source) == (
            "FOOD_AND_DRINK_RESTAURANT",
            "user",
        )
        assert rules_apply(user_id=user.pk) == 0  # nothing left to change


def test_deleting_a_rule_gives_the_bank_category_back_and_only_to_its_rows() -> None:
    user = UserFactory()
    with tenant_context(user.pk):
        account = b.account(user.pk)
        rows = [
            b.txn(user.pk, account, amount=500, day=date(2026, 2, d), merchant="Blue Bottle")
            for d in (1, 2, 3)
        ]
        transaction_recategorise(
            user_id=user.pk,
            transaction_pk=rows[0].pk,
            category="FOOD_AND_DRINK_RESTAURANT",
            apply_to_similar=True,
        )
        rule = TransactionRule.objects.get()
        with tenant_binding(user.pk):
            assert rule_delete(user_id=user.pk, rule_pk=rule.pk) == 2
        sources = sorted(Transaction.objects.values_list("category_source", "effective_category_detailed"))
    assert sources == [
        ("", "FOOD_AND_DRINK_COFFEE"),
        ("", "FOOD_AND_DRINK_COFFEE"),
        ("user", "FOOD_AND_DRINK_RESTAURANT"),
    ]


def test_a_rule_made_from_text_files_what_matches_and_follows_its_new_category() -> None:
    user = UserFactory()
    with tenant_context(user.pk):
        account = b.account(user.pk)
        ride = b.txn(
            user.pk, account, amount=800, day=date(2026, 2, 1), name="Uber 0612 SF**POOL**", merchant=""
        )
        mine = b.txn(
            user.pk, account, amount=900, day=date(2026, 2, 2), name="UBER 0713 SF POOL", merchant=""
        )
        transaction_recategorise(user_id=user.pk, transaction_pk=mine.pk, category="TRAVEL")
        assert (
            match_key_of("Uber 1234 sf--pool!")
            == "uber sf pool"
            == Transaction.objects.get(pk=ride.pk).match_key
        )

        saved = rule_create(user_id=user.pk, match_text="Uber 1234 sf--pool!", category="TRANSPORTATION")
        assert (saved.rule.category_primary, saved.rule.category_detailed, saved.updated) == (
            "TRANSPORTATION",
            "",
            1,
        )
        with pytest.raises(RuleExists):
            rule_create(user_id=user.pk, match_text="uber sf pool", category="TRAVEL")
        with pytest.raises(InvalidMatch):
            rule_create(user_id=user.pk, match_text="1234 #", category="TRAVEL")
        with pytest.raises(InvalidCategory):
            rule_create(user_id=user.pk, match_text="Lyft", category="NOT_A_CATEGORY")
        # A rule that moves from one primary to another re-files its rows (no detailed code on either).
        assert rule_update(user_id=user.pk, rule_pk=saved.rule.pk, category="TRAVEL").updated == 1
        rows = dict(Transaction.objects.values_list("pk", "effective_category_primary"))
        sources = dict(Transaction.objects.values_list("pk", "category_source"))
    assert rows == {ride.pk: "TRAVEL", mine.pk: "TRAVEL"}
    assert sources == {ride.pk: "rule", mine.pk: "user"}


def test_rules_belong_to_their_owner() -> None:
    alice, bob = UserFactory(), UserFactory()
    with tenant_context(alice.pk):
        account = b.account(alice.pk)
        row = b.txn(alice.pk, account, amount=500, day=date(2026, 2, 1), merchant="Blue Bottle")
        transaction_recategorise(
            user_id=alice.pk,
            transaction_pk=row.pk,
            category="FOOD_AND_DRINK_RESTAURANT",
            apply_to_similar=True,
        )
        rule = TransactionRule.objects.get()
    with tenant_context(bob.pk):
        bobs = b.account(bob.pk)
        theirs = b.txn(bob.pk, bobs, amount=500, day=date(2026, 2, 1), merchant="Blue Bottle")
        with tenant_binding(bob.pk):
            assert rules_apply(user_id=bob.pk) == 0
        assert Transaction.objects.get(pk=theirs.pk).category_source == ""
        assert not TransactionRule.objects.exists()
    client = Client()
    client.force_login(bob)
    assert client.post(f"/app/settings/rules/{rule.pk}/delete/").status_code == 404
    assert "Blue Bottle" not in client.get("/app/settings/").content.decode()
    owner = Client()
    owner.force_login(alice)
    assert "Blue Bottle" in owner.get("/app/settings/").content.decode()
    assert owner.post(f"/app/settings/rules/{rule.pk}/delete/").status_code == 302
    with tenant_context(alice.pk):
        assert not TransactionRule.objects.exists()
