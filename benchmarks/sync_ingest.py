"""Initial-sync ingest benchmark (a script that prints numbers, never a test).

For 10 k and 100 k transactions it measures, in the same run and the same table:
  * ingest   — finance.banking.sync.transactions_ingest: the multi-row INSERT … ON CONFLICT upsert
               the sync uses, inside the tenant's context (RLS on), committed;
  * raw      — a plain INSERT of the same rows (no ON CONFLICT), same batching, same tenant context,
               twice: through the same column arrays (`unnest`), and as a multi-row VALUES list;
  * end-to-end — plaid_item_sync of a sandbox item holding that many transactions: HTTP pages,
               plaid-python parsing and the ingest together.
Ends with `sync_ingest tx_per_s=<ingest rate at 100 k> ratio=<ingest / the faster raw insert at 100 k>`.
Run with `make bench-sync`.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditapp.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from accounts.models import User  # noqa: E402
from creditapp.tenancy.db import tenant_binding, tenant_context  # noqa: E402
from finance.banking import plaid  # noqa: E402
from finance.banking.items import plaid_item_link  # noqa: E402
from finance.banking.sync import (  # noqa: E402
    INSERT_BATCH,
    INSERT_SQL,
    TRANSACTION_COLUMNS,
    plaid_item_sync,
    transactions_ingest,
)
from finance.models import Account, PlaidItem, Transaction  # noqa: E402
from sandbox.server import start_subprocess  # noqa: E402

SIZES = (10_000, 100_000)
EMAIL = "bench-sync@creditapp.local"


def rows(n: int, account_pk: int) -> list[tuple[object, ...]]:
    rng = random.Random(n)
    today = date.today()
    merchants = ["Starbucks", "Whole Foods", "Shell", "Uber", "Amazon", "Netflix", "Target", "Chipotle"]
    return [
        (account_pk, f"bench-{n}-{i}", rng.randint(-200_000, 30_000), "USD", today - timedelta(days=i % 730),
         None, f"{merchants[i % 8]} #{i % 97}", merchants[i % 8], "FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE",
         "in store", False, "")
        for i in range(n)
    ]  # fmt: skip


def raw_values_insert(user_id: int, data: list[tuple[object, ...]]) -> None:
    from django.utils import timezone

    now = timezone.now()
    columns = ", ".join(name for name, _ in TRANSACTION_COLUMNS)
    placeholder = "(" + ", ".join(["%s"] * (len(TRANSACTION_COLUMNS) + 3)) + ")"
    with connection.cursor() as cursor:
        for start in range(0, len(data), 1000):
            batch = data[start : start + 1000]
            params: list[Any] = []
            for row in batch:
                params.extend((user_id, now, now, *row))
            cursor.execute(
                f"INSERT INTO finance_transaction (user_id, created_at, updated_at, {columns}) VALUES "
                + ", ".join([placeholder] * len(batch)),
                params,
            )


def clear(user_id: int) -> None:
    with tenant_context(user_id):
        Transaction.objects.filter(user_id=user_id).delete()


def timed(label: str, n: int, action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    rate = n / seconds
    print(f"  {label:<11} {n:>7} tx in {seconds:6.2f} s = {rate:>9,.0f} tx/s", flush=True)
    return rate


def main() -> None:
    import httpx

    user = User.objects.filter(email=EMAIL).first() or User.objects.create_user(email=EMAIL, password=None)
    with tenant_context(user.pk):
        PlaidItem.objects.filter(user_id=user.pk).delete()
        Account.objects.filter(user_id=user.pk).delete()
        account = Account.objects.create(user_id=user.pk, external_id="bench", name="Bench checking")
    print(
        f"sync ingest benchmark (PostgreSQL as {connection.settings_dict['USER']}, RLS on, "
        f"batch {INSERT_BATCH})"
    )
    results = {}
    for n in SIZES:
        data = rows(n, account.pk)
        clear(user.pk)

        def ingest(data: list[tuple[object, ...]] = data) -> None:
            with tenant_context(user.pk):
                transactions_ingest(user_id=user.pk, rows=data)

        def raw(data: list[tuple[object, ...]] = data) -> None:
            with tenant_context(user.pk):
                transactions_ingest(user_id=user.pk, rows=data, sql=INSERT_SQL)

        def raw_values(data: list[tuple[object, ...]] = data) -> None:
            with tenant_context(user.pk):
                raw_values_insert(user.pk, data)

        ingest_rate = timed("ingest", n, ingest)
        clear(user.pk)
        raw_rate = timed("raw unnest", n, raw)
        clear(user.pk)
        raw_rate = max(raw_rate, timed("raw VALUES", n, raw_values))
        clear(user.pk)
        results[n] = (ingest_rate, raw_rate)
        print(f"  ratio ingest/raw at {n}: {ingest_rate / raw_rate:.2f}")

    proc, url = start_subprocess()
    try:
        settings.SANDBOX_URL = url
        plaid._api.cache_clear()
        control = httpx.Client(base_url=url, timeout=60)
        for n in SIZES:
            control.post("/_sandbox/plaid/config", json={"transaction_count": n, "history_days": 730})
            with tenant_binding(user.pk):  # the sync commits its phases separately, as in a worker
                item = plaid_item_link(user_id=user.pk, public_token=plaid.sandbox_public_token("ins_109508"))
                timed("end-to-end", n, lambda item=item: plaid_item_sync(user_id=user.pk, item_pk=item.pk))
            with tenant_context(user.pk):
                PlaidItem.objects.filter(pk=item.pk).delete()
    finally:
        proc.terminate()
    with tenant_context(user.pk):
        Account.objects.filter(user_id=user.pk).delete()
    ingest_rate, raw_rate = results[SIZES[-1]]
    print(f"sync_ingest tx_per_s={ingest_rate:.0f} ratio={ingest_rate / raw_rate:.2f}")


if __name__ == "__main__":
    main()
