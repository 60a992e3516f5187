"""The alert engine: each kind fires once for its event and never for a non-event; reruns add nothing.

Credit histories come from the Experian sandbox with every pull's events forced; banking histories are
rows created in the tenant's context.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client, RequestFactory
from django.utils import timezone

from creditapp.tenancy.db import maintenance_access, tenant_binding, tenant_context
from finance.alerts.engine import alerts_evaluate
from finance.alerts.spending import percentile
from finance.alerts.tasks import evaluate_alerts_for_broken_connections
from finance.banking.sync import item_data_changed
from finance.credit.services import credit_report_pull
from finance.models import CreditReport, Inquiry, PlaidItem, Tradeline
from notifications.context_processors import alerts as alerts_context
from notifications.models import Alert
from tests.accounts.factories import UserFactory
from tests.finance.credit_helpers import ExperianSandbox, alert_keys, backdate_reports, consent
from tests.finance.factories import (
    AccountFactory,
    CardFactory,
    ItemFactory,
    LiabilityFactory,
    SnapshotFactory,
    TransactionFactory,
)

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "maint"])


def today() -> date:
    return timezone.localdate()  # the test users' timezone is UTC


# --- credit reports ------------------------------------------------------------------------------------
def test_credit_report_events_each_alert_once(experian_sandbox: ExperianSandbox) -> None:
    user = UserFactory()
    identity = consent(user.pk)

    def pull(**events: object) -> CreditReport:
        backdate_reports(user.pk)  # a month passes between pulls
        experian_sandbox.next_pull(identity.ssn, **events)  # type: ignore[arg-type]
        with tenant_binding(user.pk):
            report = credit_report_pull(user_id=user.pk, trigger=CreditReport.Trigger.SCHEDULED).report
        assert report is not None
        return report

    pull()
    with tenant_context(user.pk):
        baseline_inquiries = Inquiry.objects.count()
    assert alert_keys(user.pk) == []  # the first report is the baseline, whatever it holds
    expected: list[tuple[str, str]] = []

    second = pull(new_inquiry=True)
    with tenant_context(user.pk):
        inquiry = (
            Inquiry.objects.filter(report=second)
            .exclude(identity__in=Inquiry.objects.exclude(report=second).values("identity"))
            .get()
        )
        assert Inquiry.objects.filter(report=second).count() == baseline_inquiries + 1
    expected.append(("new_inquiry", f"inquiry:{inquiry.identity}"))
    assert alert_keys(user.pk) == sorted(expected)

    pull(score_delta=5)  # a quiet month
    assert alert_keys(user.pk) == sorted(expected)

    fourth = pull(new_account=True)
    with tenant_context(user.pk):
        tradeline = (
            Tradeline.objects.filter(report=fourth)
            .exclude(identity__in=Tradeline.objects.exclude(report=fourth).values("identity"))
            .get()
        )
        assert tradeline.opened_on == today()
        alert = Alert.objects.get(kind=Alert.Kind.NEW_ACCOUNT)
        assert tradeline.creditor in alert.title and alert.link == f"/app/credit/reports/{fourth.pk}/"
    expected.append(("new_account", f"account:{tradeline.identity}"))
    assert alert_keys(user.pk) == sorted(expected)

    pull(score_delta=-19)  # under the 20-point threshold
    assert alert_keys(user.pk) == sorted(expected)
    up = pull(score_delta=20)
    down = pull(score_delta=-45)
    expected += [("score_change", f"score:V4:{up.pk}"), ("score_change", f"score:V4:{down.pk}")]
    assert alert_keys(user.pk) == sorted(expected)
    with tenant_context(user.pk):
        drop = Alert.objects.get(dedupe_key=f"score:V4:{down.pk}")
        assert (
            drop.title == "Your credit score went down 45 points" and drop.severity == Alert.Severity.WARNING
        )
        assert Alert.objects.get(dedupe_key=f"score:V4:{up.pk}").severity == Alert.Severity.INFO

    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []  # running again finds no new event
    assert alert_keys(user.pk) == sorted(expected)


# --- utilisation ---------------------------------------------------------------------------------------
def test_utilisation_crossings_alert_once_for_the_highest_threshold(
    experian_sandbox: ExperianSandbox,
) -> None:
    user = UserFactory()
    day, yesterday = today(), today() - timedelta(days=1)
    with tenant_context(user.pk):
        cards = {name: CardFactory(user=user, credit_limit_minor=1_000_000) for name in "ABCDE"}
        AccountFactory(user=user)  # a checking account: never utilisation
        for name, before, now in (
            ("A", 250_000, 350_000),  # 25 % → 35 %: crosses 30
            ("B", 600_000, 650_000),  # 60 % → 65 %: no threshold crossed
            ("C", 950_000, 400_000),  # down: never an alert
            ("D", 100_000, 920_000),  # 10 % → 92 %: one alert, for 90
            ("E", None, 400_000),  # new card already at 40 %
        ):
            if before is not None:
                SnapshotFactory(account=cards[name], date=yesterday - timedelta(days=1), current_minor=0)
                SnapshotFactory(account=cards[name], date=yesterday, current_minor=before)
            SnapshotFactory(account=cards[name], date=day, current_minor=now)

    with tenant_context(user.pk):
        created = alerts_evaluate(user_id=user.pk)

    # Overall: 19 000 of 40 000 (47.5 %) yesterday, 27 200 of 50 000 (54.4 %) today: crosses 50.
    a, d, e = cards["A"].pk, cards["D"].pk, cards["E"].pk
    assert alert_keys(user.pk) == sorted(
        [
            ("utilisation", f"util:{a}:30:{day}"),
            ("utilisation", f"util:{d}:90:{day}"),
            ("utilisation", f"util:{e}:30:{day}"),
            ("utilisation", f"util:overall:50:{day}"),
        ]
    )
    assert {alert.severity for alert in created if alert.dedupe_key.startswith(f"util:{d}:")} == {"warning"}
    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []

    # Later the same day card A climbs past 50 %: a new event. Card B moving within its band is not.
    with tenant_context(user.pk):
        cards["A"].snapshots.filter(date=day).update(current_minor=560_000)
        cards["B"].snapshots.filter(date=day).update(current_minor=700_000)
    with tenant_context(user.pk):
        assert [alert.dedupe_key for alert in alerts_evaluate(user_id=user.pk)] == [f"util:{a}:50:{day}"]


def test_one_card_has_no_separate_overall_alert() -> None:
    user = UserFactory()
    with tenant_context(user.pk):
        card = CardFactory(user=user, credit_limit_minor=200_000)
        SnapshotFactory(account=card, date=today() - timedelta(days=1), current_minor=10_000)
        SnapshotFactory(account=card, date=today(), current_minor=70_000)
    assert alert_keys(user.pk) == []
    with tenant_context(user.pk):
        alerts_evaluate(user_id=user.pk)
    assert alert_keys(user.pk) == [("utilisation", f"util:{card.pk}:30:{today()}")]


# --- card payments -------------------------------------------------------------------------------------
def test_payment_due_soon_and_overdue() -> None:
    user = UserFactory()
    day = today()
    statement = day - timedelta(days=20)
    with tenant_context(user.pk):
        cards = [CardFactory(user=user) for _ in range(7)]
        unpaid_soon, paid, unpaid_later, partly_paid_today, overdue, was_due, nothing_owed = cards
        LiabilityFactory(
            account=unpaid_soon,
            last_statement_issue_date=statement,
            next_payment_due_date=day + timedelta(days=3),
            last_payment_date=statement - timedelta(days=5),
            last_payment_amount_minor=90_000,
        )
        LiabilityFactory(
            account=paid,
            last_statement_issue_date=statement,
            next_payment_due_date=day + timedelta(days=2),
            last_payment_date=statement + timedelta(days=2),
            last_payment_amount_minor=42_000,
        )
        LiabilityFactory(
            account=unpaid_later,
            last_statement_issue_date=statement,
            next_payment_due_date=day + timedelta(days=6),
        )
        LiabilityFactory(
            account=partly_paid_today,
            last_statement_issue_date=statement,
            next_payment_due_date=day,
            last_payment_date=statement + timedelta(days=1),
            last_payment_amount_minor=10_000,
        )
        LiabilityFactory(
            account=overdue,
            last_statement_issue_date=statement - timedelta(days=30),
            next_payment_due_date=day - timedelta(days=5),
            is_overdue=True,
        )
        LiabilityFactory(
            account=was_due,
            last_statement_issue_date=statement,
            next_payment_due_date=day - timedelta(days=1),
        )
        LiabilityFactory(
            account=nothing_owed,
            last_statement_issue_date=statement,
            last_statement_balance_minor=0,
            next_payment_due_date=day + timedelta(days=1),
        )

    with tenant_context(user.pk):
        alerts_evaluate(user_id=user.pk)

    assert alert_keys(user.pk) == sorted(
        [
            ("overdue", f"overdue:{overdue.pk}:{statement - timedelta(days=30)}"),
            ("payment_due", f"due:{partly_paid_today.pk}:{day}"),
            ("payment_due", f"due:{unpaid_soon.pk}:{day + timedelta(days=3)}"),
        ]
    )
    with tenant_context(user.pk):
        due_today = Alert.objects.get(dedupe_key=f"due:{partly_paid_today.pk}:{day}")
        assert due_today.title.endswith("payment due today") and "$420.00" in due_today.body
        assert Alert.objects.get(kind=Alert.Kind.OVERDUE).severity == Alert.Severity.CRITICAL
    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []


# --- unusual transactions ------------------------------------------------------------------------------
def test_unusually_large_transactions() -> None:
    user, newcomer = UserFactory(), UserFactory()
    day = today()
    with tenant_context(user.pk):
        checking = AccountFactory(user=user)
        for n in range(60):  # everyday spending, $5-$9, over the last two months
            TransactionFactory(
                account=checking, date=day - timedelta(days=8 + n), amount_minor=500 + (n * 7) % 400
            )
        TransactionFactory(
            account=checking,
            date=day - timedelta(days=40),
            amount_minor=120_000,
            name="Oak Street Apartments",
        )
        TransactionFactory(
            account=checking, date=day - timedelta(days=20), amount_minor=200_000, name="Old big purchase"
        )
        big = TransactionFactory(
            account=checking, date=day - timedelta(days=2), amount_minor=95_000, name="Best Electronics"
        )
        TransactionFactory(
            account=checking, date=day - timedelta(days=1), amount_minor=15_000, name="Under the $200 floor"
        )
        TransactionFactory(
            account=checking, date=day - timedelta(days=3), amount_minor=120_000, name="Oak Street Apartments"
        )
        TransactionFactory(
            account=checking,
            date=day - timedelta(days=1),
            amount_minor=500_000,
            name="To savings",
            category_primary="TRANSFER_OUT",
        )
        TransactionFactory(
            account=checking, date=day, amount_minor=90_000, name="Still pending", pending=True
        )
        TransactionFactory(
            account=checking, date=day, amount_minor=-300_000, name="Payroll", category_primary="INCOME"
        )
    with tenant_context(newcomer.pk):
        account = AccountFactory(user=newcomer)
        for n in range(5):
            TransactionFactory(account=account, date=day - timedelta(days=10 + n), amount_minor=1_000)
        TransactionFactory(
            account=account, date=day - timedelta(days=1), amount_minor=500_000, name="First big one"
        )

    with tenant_context(user.pk):
        alerts_evaluate(user_id=user.pk)
    with tenant_context(newcomer.pk):
        alerts_evaluate(user_id=newcomer.pk)

    assert alert_keys(user.pk) == [("large_transaction", f"txn:{big.plaid_transaction_id}")]
    assert alert_keys(newcomer.pk) == []  # too little history to know what is usual
    with tenant_context(user.pk):
        alert = Alert.objects.get()
        assert alert.title == "Unusually large payment: $950.00 at Best Electronics"
    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []
    assert percentile([5, 1, 4, 2, 3], 95) == 5 and percentile(list(range(1, 101)), 95) == 95


# --- bank connections ----------------------------------------------------------------------------------
def test_connections_needing_attention() -> None:
    user = UserFactory()
    synced = timezone.now() - timedelta(days=2)
    expires = timezone.now() + timedelta(days=6)
    with tenant_context(user.pk):
        broken = ItemFactory(user=user, status=PlaidItem.Status.LOGIN_REQUIRED, last_synced_at=synced)
        ItemFactory(user=user, status=PlaidItem.Status.GOOD)
        expiring = ItemFactory(
            user=user, status=PlaidItem.Status.PENDING_EXPIRATION, consent_expires_at=expires
        )

    with tenant_context(user.pk):
        alerts_evaluate(user_id=user.pk)
    assert alert_keys(user.pk) == sorted(
        [
            ("relogin", f"relogin:{broken.pk}:{synced.isoformat()}"),
            ("relogin", f"consent:{expiring.pk}:{expires.date()}"),
        ]
    )
    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []

    # Repaired and synced, then broken again: a second, separate event.
    resynced = timezone.now()
    with tenant_context(user.pk):
        PlaidItem.objects.filter(pk=broken.pk).update(status=PlaidItem.Status.GOOD, last_synced_at=resynced)
    with tenant_context(user.pk):
        assert alerts_evaluate(user_id=user.pk) == []
    with tenant_context(user.pk):
        PlaidItem.objects.filter(pk=broken.pk).update(status=PlaidItem.Status.LOGIN_REQUIRED)
    with tenant_context(user.pk):
        assert [a.dedupe_key for a in alerts_evaluate(user_id=user.pk)] == [
            f"relogin:{broken.pk}:{resynced.isoformat()}"
        ]


# --- when the engine runs ------------------------------------------------------------------------------
def test_a_plaid_sync_and_the_hourly_check_queue_the_engine(enqueued) -> None:  # type: ignore[no-untyped-def]
    user, healthy = UserFactory(), UserFactory()
    with tenant_context(user.pk):
        ItemFactory(user=user, status=PlaidItem.Status.LOGIN_REQUIRED)
    with tenant_context(healthy.pk):
        ItemFactory(user=healthy)
    item_data_changed(user_id=healthy.pk)  # what a sync does once it has stored the item's data
    assert enqueued() == ["finance.credit.evaluate_alerts"]
    assert evaluate_alerts_for_broken_connections() == 1
    assert enqueued() == ["finance.credit.evaluate_alerts"] * 2


# --- the inbox -----------------------------------------------------------------------------------------
def _alerts_for(user_id: int, count: int, start: int = 0) -> list[Alert]:
    with tenant_context(user_id):
        return [
            Alert.objects.create(
                user_id=user_id,
                kind=Alert.Kind.NEW_INQUIRY,
                title=f"Alert {n}",
                dedupe_key=f"test:{n}",
                link="/app/credit/",
            )
            for n in range(start, start + count)
        ]


def test_inbox_read_dismiss_and_the_unread_count() -> None:
    user = UserFactory()
    first, second, third = _alerts_for(user.pk, 3)
    client = Client()
    client.force_login(user)

    assert client.post(f"/app/alerts/{first.pk}/read/").status_code == 302
    page = client.get("/app/alerts/").content.decode()
    assert page.index("Alert 2") < page.index("Alert 1") < page.index("Alert 0")  # unread first, then read
    assert "2 new" in page

    partial = client.post(f"/app/alerts/{second.pk}/read/", HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and f'id="alert-{second.pk}"' in partial.content.decode()
    assert client.post(f"/app/alerts/{third.pk}/dismiss/", HTTP_HX_REQUEST="true").content == b""
    assert "Alert 2" not in client.get("/app/alerts/").content.decode()
    opened = client.post(f"/app/alerts/{first.pk}/read/", {"open": "1"})
    assert opened["Location"] == "/app/credit/"

    _alerts_for(user.pk, 2, start=3)
    request = RequestFactory().get("/")
    request.user = user  # type: ignore[assignment]
    with tenant_context(user.pk):
        assert alerts_context(request)["unread_alert_count"]() == 2  # the dismissed one is not counted
    assert client.post("/app/alerts/read-all/").status_code == 302
    with tenant_context(user.pk):
        assert alerts_context(request)["unread_alert_count"]() == 0
        assert Alert.objects.get(pk=third.pk).dismissed_at is not None


def test_another_tenant_cannot_see_read_or_dismiss_alerts() -> None:
    alice, bob = UserFactory(), UserFactory()
    (alert,) = _alerts_for(alice.pk, 1)
    client = Client()
    client.force_login(bob)
    assert client.post(f"/app/alerts/{alert.pk}/read/").status_code == 404
    assert client.post(f"/app/alerts/{alert.pk}/dismiss/").status_code == 404
    assert "Alert 0" not in client.get("/app/alerts/").content.decode()
    with maintenance_access("test: alice's alert is untouched"):
        untouched = Alert.objects.get(pk=alert.pk)
        assert untouched.read_at is None and untouched.dismissed_at is None
    with tenant_context(bob.pk):
        assert not Alert.objects.exists()
        request = RequestFactory().get("/")
        request.user = bob  # type: ignore[assignment]
        assert alerts_context(request)["unread_alert_count"]() == 0

    owner = Client()
    owner.force_login(alice)
    assert "Alert 0" in owner.get("/app/alerts/").content.decode()
    assert owner.post(f"/app/alerts/{alert.pk}/dismiss/").status_code == 302
