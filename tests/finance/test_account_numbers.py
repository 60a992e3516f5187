"""Migration 0010 on a real database: stored account numbers keep only their last four digits, for
every tenant (the tables force row-level security), and an account stored before it still matches the
same account in pulls after it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from creditapp.core import crypto
from creditapp.tenancy.db import tenant_context
from finance.credit.parser import mmddyyyy, parse_report
from finance.models import CreditReport, Tradeline
from tests.accounts.factories import UserFactory
from tests.conftest import owner_connection
from tests.finance.credit_helpers import sent_account_numbers
from tests.finance.test_credit_parser import fixture

pytestmark = pytest.mark.django_db(transaction=True)
BEFORE = [("finance", "0009_plaiditem_sync_state_at")]
AFTER = [("finance", "0010_tradeline_account_last4")]


def migrate(targets: list[tuple[str, str]]) -> Any:
    """Migrate as the owner, as deployments do; returns the models as they are at `targets`."""
    with owner_connection():
        executor = MigrationExecutor(connection)
        executor.migrate(targets)
        executor.loader.build_graph()
        return executor.loader.project_state(targets).apps


@pytest.fixture
def before_migration() -> Iterator[Any]:
    """The models as they were before 0010; the schema is migrated back to the latest afterwards, for
    the tests that follow, even when this one failed halfway (its tradelines go first, as the flush after
    every test would remove them anyway)."""
    yield migrate(BEFORE)
    with owner_connection():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE finance_tradeline")
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def old_identity(record: dict[str, Any]) -> str:
    """A tradeline identity as pulls stored it before 0010: with Experian's whole masked number."""
    opened = mmddyyyy(record.get("openDate"))
    key = record.get("subscriberCode") or record["subscriberName"]
    return f"{key}:{record['accountType']}:{opened.isoformat() if opened else '?'}:{record['accountNumber']}"


def store_as_before(apps: Any, user_id: int, raw: str, tradelines: list[dict[str, Any]]) -> None:
    """A pull stored the way the app did before 0010, with its new-account alerts; as the app role."""
    with tenant_context(user_id):
        report = apps.get_model("finance", "CreditReport").objects.create(
            user_id=user_id, pulled_on=date(2025, 6, 15), trigger="scheduled", raw_encrypted=raw
        )
        for record in tradelines:
            apps.get_model("finance", "Tradeline").objects.create(
                user_id=user_id,
                report=report,
                identity=old_identity(record),
                creditor=record["subscriberName"],
                account_mask=record["accountNumber"],
                account_type=record["accountType"],
                revolving=record.get("revolvingOrInstallment") == "R",
                is_open=record.get("openOrClosed") != "C",
            )
            apps.get_model("finance", "Alert").objects.create(
                user_id=user_id,
                kind="new_account",
                title=f"New account with {record['subscriberName']}",
                dedupe_key=f"account:{old_identity(record)}",
            )
        apps.get_model("finance", "Alert").objects.create(
            user_id=user_id, kind="utilisation", title="Card at 30 %", dedupe_key="util:7:30:2025-06-15"
        )


def test_stored_account_numbers_keep_only_their_last_four_digits(before_migration: Any) -> None:
    payload = fixture("full")
    sent = sent_account_numbers(payload)
    alice, bob = UserFactory(), UserFactory()
    store_as_before(
        before_migration,
        alice.pk,
        crypto.encrypt(json.dumps(payload)),
        payload["creditProfile"][0]["tradeline"],
    )
    bob_lines = [
        {
            "subscriberName": "CAPITAL ONE",
            "subscriberCode": "1270246",
            "accountType": "18",
            "openDate": "03012020",
        }
        | {"accountNumber": number}
        for number in ("XXXX1197", "", "UNKNOWN")
    ]
    store_as_before(before_migration, bob.pk, "not a token any key opens", bob_lines)

    after_migration = migrate(AFTER)

    with tenant_context(alice.pk):
        tradelines = list(Tradeline.objects.filter(user_id=alice.pk).order_by("id"))
        raw = CreditReport.objects.get(user_id=alice.pk).raw()
        alert_model = after_migration.get_model("finance", "Alert")  # notifications takes it over later
        alerts = set(alert_model.objects.filter(user_id=alice.pk).values_list("dedupe_key", flat=True))
    assert [t.account_last4 for t in tradelines] == [number[-8:-4] for number in sent]
    assert [t.account_display for t in tradelines][1] == "•• 6149"  # "505274006149XXXX"
    # The next pull of the same report names every account exactly as the migrated rows do.
    identities = [t.identity for t in parse_report(payload).tradelines]
    assert [t.identity for t in tradelines] == identities
    assert alerts == {f"account:{identity}" for identity in identities} | {"util:7:30:2025-06-15"}
    assert sent_account_numbers(raw) == [number[-8:-4] for number in sent]
    assert parse_report(raw) == parse_report(payload)
    with connection.cursor() as cursor, tenant_context(alice.pk):
        cursor.execute("SELECT * FROM finance_tradeline WHERE user_id = %s", [alice.pk])
        rows = " ".join(str(value) for row in cursor.fetchall() for value in row)
        cursor.execute("SELECT dedupe_key FROM finance_alert WHERE user_id = %s", [alice.pk])
        rows += " ".join(key for (key,) in cursor.fetchall())
    for number in sent:
        assert number[:-4] not in rows and number[:-4] not in json.dumps(raw)

    with tenant_context(bob.pk):
        kept = list(
            Tradeline.objects.filter(user_id=bob.pk).order_by("id").values_list("account_last4", "identity")
        )
        unreadable = CreditReport.objects.get(user_id=bob.pk).raw_encrypted
        bob_alerts = sorted(alert_model.objects.filter(user_id=bob.pk).values_list("dedupe_key", flat=True))
    assert kept == [("1197", "1270246:18:2020-03-01:1197")] + [("", "1270246:18:2020-03-01:")] * 2
    # "" and "UNKNOWN" both show no digits: now one account to the app, with one alert.
    assert bob_alerts == [
        "account:1270246:18:2020-03-01:",
        "account:1270246:18:2020-03-01:1197",
        "util:7:30:2025-06-15",
    ]
    assert unreadable == "not a token any key opens"  # left alone: no configured key can open it to show it
