"""The transactions changes feed (/api/v1/transactions/changes/): a client mirrors a person's
transactions through it across syncs, edits, rules, imports and deletions, and its mirror stays equal
to the database; the numbering behind it is done by database triggers."""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from rest_framework.renderers import JSONRenderer

from accounts.api_keys import api_key_create
from creditapp.tenancy.db import maintenance_access, tenant_binding, tenant_context
from finance.api.serializers import TransactionSerializer
from finance.banking.sync import plaid_item_sync, transactions_ingest
from finance.imports.services import Destination, import_job_create, import_job_enqueue, import_job_run
from finance.insights.changes import change_version
from finance.insights.rules import rules_apply
from finance.models import Account, Transaction, TransactionChangeCounter, TransactionRemoval, TransactionRule
from tests.billing.conftest import make_user, put_on_plan, signed_in
from tests.conftest import owner_connection
from tests.finance import builders

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])

FEED = "/api/v1/transactions/changes/"
DAY = date(2026, 3, 2)


# --- helpers ----------------------------------------------------------------------------------------
def pro_user() -> tuple[Any, str]:
    user = make_user(joined_days_ago=30)
    put_on_plan(user, "pro")
    return user, api_key_create(owner_id=user.pk, name="mirror").token


def feed(token: str, **params: Any) -> Any:
    return Client().get(FEED, params, HTTP_AUTHORIZATION=f"Bearer {token}")


class Mirror:
    """What a client keeps: transactions by id, and the cursor it got last."""

    def __init__(self, token: str, *, count: int):
        self.token, self.count = token, count
        self.rows: dict[int, dict[str, Any]] = {}
        self.cursor = ""
        self.seen: dict[str, int] = {"added": 0, "modified": 0, "removed": 0}

    def catch_up(self) -> dict[str, int]:
        """Follow the feed until `has_more` is false; returns how many of each kind arrived."""
        arrived = {"added": 0, "modified": 0, "removed": 0}
        while True:
            response = feed(self.token, cursor=self.cursor, count=self.count)
            assert response.status_code == 200, response.content
            page = response.json()
            assert len(page["added"]) + len(page["modified"]) + len(page["removed"]) <= self.count
            for row in page["added"]:
                assert row["id"] not in self.rows, "an added row the mirror had already"
                self.rows[row["id"]] = row
            for row in page["modified"]:
                self.rows[row["id"]] = row
            for removed in page["removed"]:
                self.rows.pop(removed["id"], None)
            for kind in arrived:
                arrived[kind] += len(page[kind])
            self.cursor = page["next_cursor"]
            if not page["has_more"]:
                return arrived


def database_rows(user_id: int) -> dict[int, dict[str, Any]]:
    """The person's transactions as the API serializes them, through JSON like a client gets them."""
    with tenant_context(user_id):
        rows = Transaction.objects.for_user(user_id)
        data = TransactionSerializer(rows, many=True).data
    return {row["id"]: row for row in json.loads(JSONRenderer().render(data))}


def numbers(user_id: int) -> tuple[list[int], list[int]]:
    with tenant_context(user_id):
        rows = list(Transaction.objects.for_user(user_id).values_list("change_number", flat=True))
        tombstones = list(
            TransactionRemoval.objects.for_user(user_id).values_list("change_number", flat=True)
        )
    return rows, tombstones


def assert_numbering_holds(user_id: int) -> None:
    """Every number is used once, and the person's version is the latest of them."""
    rows, tombstones = numbers(user_id)
    everything = rows + tombstones
    assert len(everything) == len(set(everything)) and 0 not in everything
    with tenant_context(user_id):
        assert change_version(user_id=user_id) == max(everything, default=0)


def csv_import(user_id: int, content: bytes, account_id: int | None = None) -> None:
    with tenant_context(user_id):
        destination = Destination(account_id=account_id) if account_id else Destination(new_name="Imported")
        job = import_job_create(
            user_id=user_id, filename="bank.csv", content=content, destination=destination, currency="USD"
        )
        import_job_enqueue(user_id=user_id, job_pk=job.pk)
    with tenant_binding(user_id):
        done = import_job_run(user_id=user_id, job_pk=job.pk)
    assert done is not None and done.status == "succeeded", done and done.error_message


CSV = (
    b"Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n"
    b"DEBIT,10/16/2026,CORNER CAFE,-4.50,DEBIT_CARD,995.50,,\n"
    b"CREDIT,10/15/2026,ACME PAYROLL,2500.00,ACH_CREDIT,1004.50,,\n"
)


# --- 1. the mirror ------------------------------------------------------------------------------------
def test_a_client_mirrors_its_transactions_through_every_kind_of_change(
    link_item: Callable[..., Any], plaid_sandbox: Any, enqueued: Any
) -> None:
    user, token = pro_user()
    item = link_item(user.pk, username="user_transactions_dynamic")
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    mirror = Mirror(token, count=37)

    # From no cursor: every transaction, as added, over several pages.
    first = mirror.catch_up()
    assert mirror.rows == database_rows(user.pk)
    assert first == {"added": len(mirror.rows), "modified": 0, "removed": 0} and len(mirror.rows) > 3 * 37
    assert_numbering_holds(user.pk)

    # The bank changes: new, posted (pending ones removed), modified and removed transactions.
    plaid_sandbox.mutate(item.item_id, webhook=False)
    with tenant_binding(user.pk):
        synced = plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert synced.removed > 0 and synced.modified > 0
    second = mirror.catch_up()
    assert mirror.rows == database_rows(user.pk)
    assert second["added"] > 0 and second["modified"] > 0 and second["removed"] >= synced.removed

    # The person recategorises one transaction and every similar one, on the transactions page: a rule.
    with tenant_context(user.pk):
        coffee = Transaction.objects.for_user(user.pk).exclude(match_key="").order_by("id").first()
        assert coffee is not None
        similar = Transaction.objects.for_user(user.pk).filter(match_key=coffee.match_key).count()
    page = signed_in(user).post(
        f"/app/transactions/{coffee.pk}/category/",
        {"category": "ENTERTAINMENT_CASINOS_AND_GAMBLING", "similar": "on"},
    )
    assert page.status_code == 302
    edited = mirror.catch_up()
    assert edited == {"added": 0, "modified": similar, "removed": 0}
    assert mirror.rows == database_rows(user.pk)
    assert mirror.rows[coffee.pk]["category_detailed"] == "ENTERTAINMENT_CASINOS_AND_GAMBLING"

    # Deleting the rule gives the similar ones their bank's category back.
    with tenant_context(user.pk):
        rule = TransactionRule.objects.for_user(user.pk).get(match_key=coffee.match_key)
    assert signed_in(user).post(f"/app/settings/rules/{rule.pk}/delete/").status_code == 302
    reverted = mirror.catch_up()
    assert reverted["modified"] == similar - 1  # the one set by hand keeps its category
    assert mirror.rows == database_rows(user.pk)

    # A CSV import adds rows; a later sync with nothing new changes nothing.
    csv_import(user.pk, CSV)
    assert mirror.catch_up() == {"added": 2, "modified": 0, "removed": 0}
    with tenant_binding(user.pk):
        plaid_item_sync(user_id=user.pk, item_pk=item.pk)
    assert mirror.catch_up() == {"added": 0, "modified": 0, "removed": 0}

    # Direct deletes: the person's own, and staff's through the maintenance role.
    ids = sorted(mirror.rows)
    with tenant_context(user.pk):
        Transaction.objects.for_user(user.pk).filter(pk=ids[0]).delete()
    with maintenance_access("test: staff delete a transaction", target_user_id=user.pk):
        Transaction.objects.filter(pk=ids[1]).delete()
    assert mirror.catch_up() == {"added": 0, "modified": 0, "removed": 2}
    assert ids[0] not in mirror.rows and ids[1] not in mirror.rows
    assert mirror.rows == database_rows(user.pk)
    assert_numbering_holds(user.pk)

    # A second client starting now ends with the same rows. Rows changed since they were created come
    # when their latest change does, which may be after the client's cursor passed their creation:
    # then as modified (so clients upsert both kinds), and removals of rows it never had are ignored.
    fresh = Mirror(token, count=37)
    arrived = fresh.catch_up()
    assert arrived["added"] + arrived["modified"] == len(mirror.rows) and arrived["removed"] > 0
    assert fresh.rows == mirror.rows


def test_a_row_changed_twice_appears_once_and_one_added_then_removed_only_as_removed() -> None:
    user, token = pro_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
        kept = builders.txn(user.pk, checking, amount=100, day=DAY)
    mirror = Mirror(token, count=10)
    mirror.catch_up()
    with tenant_context(user.pk):
        Transaction.objects.filter(pk=kept.pk, user_id=user.pk).update(notes="first")
        Transaction.objects.filter(pk=kept.pk, user_id=user.pk).update(notes="second")
        brief = builders.txn(user.pk, checking, amount=200, day=DAY)
        Transaction.objects.filter(pk=brief.pk, user_id=user.pk).update(hidden=True)
        Transaction.objects.filter(pk=brief.pk, user_id=user.pk).delete()
    page = feed(token, cursor=mirror.cursor).json()
    assert [row["id"] for row in page["modified"]] == [kept.pk] and page["added"] == []
    assert page["modified"][0]["notes"] == "second"
    assert page["removed"] == [{"id": brief.pk, "plaid_transaction_id": brief.plaid_transaction_id}]


def test_pages_follow_change_order_and_an_unchanged_cursor_repeats_its_page() -> None:
    user, token = pro_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
        rows = [builders.txn(user.pk, checking, amount=n, day=DAY) for n in range(1, 8)]
    first = feed(token, count=3).json()
    assert [r["id"] for r in first["added"]] == [r.pk for r in rows[:3]] and first["has_more"]
    assert feed(token, count=3).json() == first  # asking again changes nothing
    second = feed(token, count=3, cursor=first["next_cursor"]).json()
    assert [r["id"] for r in second["added"]] == [r.pk for r in rows[3:6]]
    third = feed(token, count=3, cursor=second["next_cursor"]).json()
    assert [r["id"] for r in third["added"]] == [rows[6].pk] and not third["has_more"]
    idle = feed(token, cursor=third["next_cursor"]).json()
    assert (idle["added"], idle["modified"], idle["removed"]) == ([], [], [])
    assert idle["next_cursor"] == third["next_cursor"] and not idle["has_more"]


# --- 2. only real changes count -----------------------------------------------------------------------
def test_unchanged_reupserts_rule_passes_and_identical_edits_are_not_changes() -> None:
    user, token = pro_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
        row = (checking.pk, "plaid-1", 1234, "USD", DAY, None, "STARBUCKS 123", "Starbucks",
               "FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE", "in store", False, "")  # fmt: skip
        transactions_ingest(user_id=user.pk, rows=[row])
        TransactionRule.objects.create(user_id=user.pk, match_key="starbucks", label="Starbucks",
                                       category_primary="FOOD_AND_DRINK",
                                       category_detailed="FOOD_AND_DRINK_RESTAURANT")  # fmt: skip
        assert rules_apply(user_id=user.pk) == 1
        before = Transaction.objects.for_user(user.pk).get()
    mirror = Mirror(token, count=10)
    mirror.catch_up()
    with tenant_context(user.pk):
        version = change_version(user_id=user.pk)
    assert version == 2  # the insert, the rule

    with tenant_context(user.pk):
        assert rules_apply(user_id=user.pk) == 0
        Transaction.objects.filter(pk=before.pk, user_id=user.pk).update(notes="", hidden=False)
        assert change_version(user_id=user.pk) == version
        # Plaid re-sends it unchanged. (The upsert's insert half, which conflicts, may use up a number.)
        transactions_ingest(user_id=user.pk, rows=[row])
        after = Transaction.objects.for_user(user.pk).get()
    assert (after.change_number, after.updated_at) == (before.change_number, before.updated_at)
    assert mirror.catch_up() == {"added": 0, "modified": 0, "removed": 0}

    # A real change of the bank's data is one, through the same upsert.
    with tenant_context(user.pk):
        transactions_ingest(user_id=user.pk, rows=[(*row[:2], 1250, *row[3:])])
    assert mirror.catch_up() == {"added": 0, "modified": 1, "removed": 0}
    assert mirror.rows == database_rows(user.pk)


def test_the_change_comparison_covers_every_column_but_the_bookkeeping_ones() -> None:
    """A column the trigger does not compare would make its changes invisible to the feed; a generated
    one it compared would make every update a change (BEFORE triggers see them unset)."""
    with owner_connection(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attgenerated <> '' FROM pg_attribute "
            "WHERE attrelid = 'finance_transaction'::regclass AND attnum > 0 AND NOT attisdropped"
        )
        columns = dict(cursor.fetchall())
        cursor.execute("SELECT pg_get_functiondef('finance_transaction_change_number'::regproc)")
        (definition,) = cursor.fetchone()
    bookkeeping = {"id", "user_id", "change_number", "created_change_number", "created_at", "updated_at"}
    compared_row = re.search(r"ROW\((NEW\.[^)]*)\)", definition)
    assert compared_row is not None
    compared = {value.strip().removeprefix("NEW.") for value in compared_row.group(1).split(",")}
    generated = {name for name, is_generated in columns.items() if is_generated}
    assert generated and not compared & generated
    assert compared == set(columns) - generated - bookkeeping


# --- numbering holds for every kind of write ------------------------------------------------------------
def test_numbers_stay_unique_and_the_version_follows_across_writes_savepoints_and_cascades() -> None:
    user = make_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
        card = builders.account(user.pk, type="credit")
        builders.txn(user.pk, checking, amount=1, day=DAY)
        # Several statements in one transaction, and one rolled back to a savepoint.
        with transaction.atomic():
            kept = builders.txn(user.pk, checking, amount=2, day=DAY)
            with pytest.raises(IntegrityError), transaction.atomic():
                builders.txn(user.pk, checking, amount=3, day=DAY)
                builders.txn(
                    user.pk, checking, amount=4, day=DAY, plaid_transaction_id=kept.plaid_transaction_id
                )
            Transaction.objects.filter(user_id=user.pk).update(notes="bulk")
            builders.txn(user.pk, card, amount=5, day=DAY)
    assert_numbering_holds(user.pk)
    rows, _ = numbers(user.pk)
    assert len(rows) == 3

    # An account deleted in SQL cascades to its transactions in the database: tombstones all the same.
    with tenant_context(user.pk), connection.cursor() as cursor:
        cursor.execute("DELETE FROM finance_account WHERE user_id = %s AND id = %s", [user.pk, card.pk])
    with tenant_context(user.pk):
        assert list(TransactionRemoval.objects.for_user(user.pk).values_list("account_id", flat=True)) == [
            card.pk
        ]
    assert_numbering_holds(user.pk)


def test_deleting_a_person_deletes_their_tombstones_and_counter_too() -> None:
    user = make_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
        builders.txn(user.pk, checking, amount=1, day=DAY)
        builders.txn(user.pk, checking, amount=2, day=DAY).delete()
    with maintenance_access("test: delete an account", target_user_id=user.pk):
        type(user).objects.get(pk=user.pk).delete()
    with maintenance_access("test: look for leftovers"):
        assert not TransactionRemoval.objects.filter(user_id=user.pk).exists()
        assert not TransactionChangeCounter.objects.filter(user_id=user.pk).exists()
        assert not Transaction.objects.filter(user_id=user.pk).exists()


# --- 3. commit order ------------------------------------------------------------------------------------
class Writer(threading.Thread):
    """A second connection that writes a transaction, then holds its transaction open until told."""

    def __init__(self, user_id: int, account_id: int, amount: int):
        super().__init__(daemon=True)
        self.user_id, self.account_id, self.amount = user_id, account_id, amount
        self.commit = threading.Event()
        self.wrote = threading.Event()
        self.pid: int | None = None
        self.row_id: int | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with tenant_context(self.user_id), connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
                account = Account.objects.get(pk=self.account_id)
                self.row_id = builders.txn(self.user_id, account, amount=self.amount, day=DAY).pk
                self.wrote.set()
                assert self.commit.wait(60)
        except BaseException as error:  # reported by the test
            self.error = error
            self.wrote.set()
        finally:
            connection.close()


def wait_until_blocked(writer: Writer) -> None:
    """Polls (at most a minute) until the writer's backend waits for a lock."""
    for _ in range(1200):
        if writer.pid is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [writer.pid])
                found = cursor.fetchone()
            if found and found[0] == "Lock":
                return
        assert writer.error is None and not writer.wrote.is_set(), "the second writer did not wait"
        time.sleep(0.05)
    raise AssertionError("the second writer never waited for the counter's lock")


@pytest.fixture
def writers() -> Iterator[list[Writer]]:
    started: list[Writer] = []
    yield started
    for writer in started:
        writer.commit.set()
        writer.join(30)


def test_a_reader_never_skips_a_change_that_commits_late(writers: list[Writer]) -> None:
    user, token = pro_user()
    bob = make_user()
    with tenant_context(user.pk):
        checking = builders.account(user.pk)
    with tenant_context(bob.pk):
        bobs = builders.account(bob.pk)
    mirror = Mirror(token, count=10)
    mirror.catch_up()

    first = Writer(user.pk, checking.pk, 1)
    writers.append(first)
    first.start()
    assert first.wrote.wait(60) and first.error is None
    # The second writer starts after the first and would commit first; it waits for the first instead.
    second = Writer(user.pk, checking.pk, 2)
    writers.append(second)
    second.start()
    wait_until_blocked(second)
    # Someone else's writes never wait for this person's.
    with tenant_context(bob.pk), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        builders.txn(bob.pk, bobs, amount=3, day=DAY)

    assert mirror.catch_up() == {"added": 0, "modified": 0, "removed": 0}
    first.commit.set()
    first.join(30)
    assert second.wrote.wait(60) and second.error is None and first.error is None
    assert mirror.catch_up() == {"added": 1, "modified": 0, "removed": 0}  # the first, committed
    assert set(mirror.rows) == {first.row_id}
    second.commit.set()
    second.join(30)
    assert mirror.catch_up() == {"added": 1, "modified": 0, "removed": 0}  # the second, not skipped
    assert set(mirror.rows) == {first.row_id, second.row_id}
    assert mirror.rows == database_rows(user.pk)
    with tenant_context(user.pk):
        numbered = dict(Transaction.objects.for_user(user.pk).values_list("pk", "change_number"))
    assert numbered[first.row_id or 0] < numbered[second.row_id or 0]  # numbers follow commit order


# --- 4. tenancy -----------------------------------------------------------------------------------------
def test_a_feed_holds_only_its_owners_rows_and_tombstones() -> None:
    alice, alice_token = pro_user()
    bob, bob_token = pro_user()
    for person in (alice, bob):
        with tenant_context(person.pk):
            account = builders.account(person.pk)
            for amount in (1, 2, 3):
                builders.txn(person.pk, account, amount=amount, day=DAY)
            Transaction.objects.for_user(person.pk).order_by("id").first().delete()  # type: ignore[union-attr]
    alices = set(database_rows(alice.pk))
    with tenant_context(alice.pk):
        alices |= set(TransactionRemoval.objects.for_user(alice.pk).values_list("transaction_id", flat=True))
    bobs_mirror = Mirror(bob_token, count=2)
    assert bobs_mirror.catch_up() == {"added": 2, "modified": 0, "removed": 1}
    assert bobs_mirror.rows == database_rows(bob.pk) and not set(bobs_mirror.rows) & alices
    page = feed(bob_token).json()
    assert not {r["id"] for r in page["added"] + page["modified"] + page["removed"]} & alices

    # Alice's cursor names a place in Alice's numbering: past Bob's latest, it is refused.
    with tenant_context(alice.pk):
        account = Account.objects.for_user(alice.pk).get()
        for amount in range(10):
            builders.txn(alice.pk, account, amount=amount, day=DAY)
    alices_cursor = Mirror(alice_token, count=500)
    alices_cursor.catch_up()
    assert feed(bob_token, cursor=alices_cursor.cursor).status_code == 400


def test_the_counter_and_tombstones_are_under_row_level_security() -> None:
    alice, bob = make_user(), make_user()
    for person in (alice, bob):
        with tenant_context(person.pk):
            account = builders.account(person.pk)
            builders.txn(person.pk, account, amount=1, day=DAY).delete()
            builders.txn(person.pk, account, amount=2, day=DAY)
    with tenant_context(bob.pk):
        assert set(TransactionRemoval.objects.values_list("user_id", flat=True)) == {bob.pk}
        assert set(TransactionChangeCounter.objects.values_list("user_id", flat=True)) == {bob.pk}
        assert change_version(user_id=alice.pk) == 0  # Alice's counter is not Bob's to read
        with pytest.raises(ProgrammingError), transaction.atomic():
            TransactionRemoval.objects.create(user_id=alice.pk, transaction_id=1, plaid_transaction_id="x",
                                              account_id=1, change_number=99)  # fmt: skip
        assert TransactionChangeCounter.objects.filter(user_id=alice.pk).update(last_change=0) == 0
    with transaction.atomic():  # no tenant: nothing to see
        assert not TransactionRemoval.objects.exists() and not TransactionChangeCounter.objects.exists()
    with tenant_context(bob.pk), pytest.raises(DatabaseError), transaction.atomic():
        # Moving a transaction to another person is refused (the policy, and the trigger behind it).
        Transaction.objects.filter(user_id=bob.pk).update(user_id=alice.pk)


# --- 5. errors -------------------------------------------------------------------------------------------
def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "!!!"}, "cursor"),
        ({"cursor": "a b"}, "cursor"),
        ({"cursor": b64("abc")}, "cursor"),
        ({"cursor": b64("-1")}, "cursor"),
        ({"cursor": b64("01")}, "cursor"),
        ({"cursor": b64("1") + "=="}, "cursor"),  # padded: not the one spelling we give out
        ({"cursor": b64("1" * 25)}, "cursor"),
        ({"cursor": b64("5")}, "cursor"),  # a number never given out
        ({"count": "0"}, "count"),
        ({"count": "501"}, "count"),
        ({"count": "ten"}, "count"),
        ({"page_size": "10"}, "page_size"),
    ],
)
def test_malformed_cursors_and_counts_are_400_in_the_error_shape(params: dict[str, str], field: str) -> None:
    user, token = pro_user()
    with tenant_context(user.pk):
        builders.txn(user.pk, builders.account(user.pk), amount=1, day=DAY)
    response = feed(token, **params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["message"]
    assert field in error["details"]["fields"]


def test_the_largest_count_is_accepted_and_an_empty_cursor_starts_over() -> None:
    user, token = pro_user()
    with tenant_context(user.pk):
        builders.txn(user.pk, builders.account(user.pk), amount=1, day=DAY)
    assert len(feed(token, count=500).json()["added"]) == 1
    assert len(feed(token, cursor="").json()["added"]) == 1
    assert len(feed(token, cursor=b64("0")).json()["added"]) == 1


def test_callers_without_a_working_key_or_plan_get_the_error_shape() -> None:
    answers = {
        "none": Client().get(FEED),
        "bad": Client().get(FEED, HTTP_AUTHORIZATION="Bearer not-a-key"),
    }
    basic = make_user()
    put_on_plan(basic, "basic")
    answers["basic"] = feed(api_key_create(owner_id=basic.pk, name="k").token)
    assert [answers[k].status_code for k in ("none", "bad", "basic")] == [401, 401, 402]
    for response in answers.values():
        error = response.json()["error"]
        assert error["code"] and error["message"] and isinstance(error["details"], dict)
