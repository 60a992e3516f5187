"""REST API benchmark (a script that prints numbers, never a test).

Loads one tenant with 50 k transactions among 1 M (19 other tenants hold the rest; kept between runs,
reloaded only when a tenant's count is off), gives it a Pro subscription and a fresh API key, starts
gunicorn with 4 workers under production settings, and measures over plain HTTP, in the same run:
  * p50 / p95 latency at 1 client and requests/s at 32 concurrent clients, for the transaction list,
    a filtered list, the spending summary and the changes feed (an endpoint that answers 404 is
    "not available");
  * the same for the bare endpoints behind the same key authentication (`/me/`, `/subscription/`);
    the faster of them is "bare", and each list's 32-client throughput is given as a ratio of it;
  * a plain Django view without authentication (`/health`) for reference.
Then, in this process, it counts each request's SQL statements and their time, and profiles the
request path with cProfile to say where the remaining time goes.

Production settings with one change: the plans' rate limits are raised (a settings module written to
a temporary folder imports creditapp.settings and replaces API_RATE_LIMITS), so the throttle still
counts every request in Redis but never refuses one. Run with `make bench-api`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "creditapp.settings")

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.api_keys import api_key_create, api_key_revoke, api_keys_for  # noqa: E402
from accounts.models import User  # noqa: E402
from billing.models import Subscription  # noqa: E402
from creditapp.tenancy.db import tenant_context  # noqa: E402
from finance.banking.sync import transactions_ingest  # noqa: E402
from finance.models import Account, Transaction  # noqa: E402

TENANT_EMAIL = "bench-api@creditapp.local"
OTHER_EMAIL = "bench-api-other-{n}@creditapp.local"
TENANT_ROWS = 50_000
TOTAL_ROWS = 1_000_000
OTHER_TENANTS = 19  # 19 x 50 000 + the tenant's 50 000 = 1 M
HISTORY_DAYS = 730
ACCOUNTS_PER_TENANT = 3

WORKERS = 4
CLIENTS = 32
SEQUENTIAL_WARMUP, SEQUENTIAL_REQUESTS = 50, 400
CONCURRENT_WARMUP, CONCURRENT_REQUESTS = 200, 2000
PROFILE_REQUESTS = 200
PROFILE_LINES = 14
UNLIMITED = "1000000000/min"

# (primary, detailed, merchant, typical amount in cents): Plaid's personal finance categories.
SPENDING = [
    ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE", "Starbucks", 650),
    ("FOOD_AND_DRINK", "FOOD_AND_DRINK_RESTAURANT", "Chipotle", 1800),
    ("FOOD_AND_DRINK", "FOOD_AND_DRINK_GROCERIES", "Whole Foods", 8500),
    ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_ONLINE_MARKETPLACES", "Amazon", 4200),
    ("GENERAL_MERCHANDISE", "GENERAL_MERCHANDISE_SUPERSTORES", "Target", 6100),
    ("TRANSPORTATION", "TRANSPORTATION_GAS", "Shell", 4800),
    ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "Uber", 2300),
    ("ENTERTAINMENT", "ENTERTAINMENT_TV_AND_MOVIES", "Netflix", 1549),
    ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_GAS_AND_ELECTRICITY", "PG&E", 12000),
    ("MEDICAL", "MEDICAL_PHARMACIES_AND_SUPPLEMENTS", "CVS", 2700),
]
INCOME = ("INCOME", "INCOME_WAGES", "Acme Payroll", -310_000)


def generated_rows(n: int, account_pks: list[int], seed: int) -> list[tuple[object, ...]]:
    """`n` transactions in finance.banking.sync.TRANSACTION_COLUMNS order, spread over two years,
    the accounts and the categories; one in forty is a paycheck (Plaid's sign: money in negative)."""
    rng = random.Random(seed)
    today = date.today()
    rows: list[tuple[object, ...]] = []
    for i in range(n):
        primary, detailed, merchant, typical = (
            INCOME if i % 40 == 0 else SPENDING[rng.randrange(len(SPENDING))]
        )
        amount = typical if i % 40 == 0 else max(50, int(rng.gauss(typical, typical / 3)))
        day = today - timedelta(days=(i * HISTORY_DAYS) // n)
        rows.append(
            (account_pks[i % len(account_pks)], f"bench-api-{seed}-{i}", amount, "USD", day, None,
             f"{merchant.upper()} #{i % 97}", merchant, primary, detailed, "in store", False, "")
        )  # fmt: skip
    return rows


def tenant_loaded(email: str, rows: int, seed: int) -> tuple[User, bool]:
    """The tenant with exactly `rows` transactions: left alone when it has them, else reloaded."""
    user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=None)
    with tenant_context(user.pk):
        if Transaction.objects.filter(user_id=user.pk).count() == rows:
            return user, False
    with tenant_context(user.pk):
        Transaction.objects.filter(user_id=user.pk).delete()
        Account.objects.filter(user_id=user.pk).delete()
        accounts = [
            Account.objects.create(
                user_id=user.pk, external_id=f"bench-{n}", name=name, institution_name="Bench Bank",
                type=kind, current_balance_minor=250_000, currency="USD",
            )
            for n, (name, kind) in enumerate(
                [("Everyday checking", "depository"), ("Rewards card", "credit"), ("Savings", "depository")][
                    :ACCOUNTS_PER_TENANT
                ]
            )
        ]  # fmt: skip
        transactions_ingest(user_id=user.pk, rows=generated_rows(rows, [a.pk for a in accounts], seed))
    return user, True


def load() -> User:
    started = time.perf_counter()
    others = (TOTAL_ROWS - TENANT_ROWS) // OTHER_TENANTS
    loaded = 0
    tenant, fresh = tenant_loaded(TENANT_EMAIL, TENANT_ROWS, seed=0)
    loaded += TENANT_ROWS if fresh else 0
    for n in range(1, OTHER_TENANTS + 1):
        _, fresh = tenant_loaded(OTHER_EMAIL.format(n=n), others, seed=n)
        loaded += others if fresh else 0
        if fresh:
            print(f"  loaded tenant {n}/{OTHER_TENANTS} ({loaded:,} rows so far)", flush=True)
    seconds = time.perf_counter() - started
    total = TENANT_ROWS + others * OTHER_TENANTS
    done = f"loaded {loaded:,} rows" if loaded else "already loaded"
    print(f"data: {total:,} transactions in {OTHER_TENANTS + 1} tenants, the measured one holds "
          f"{TENANT_ROWS:,} ({done}, {seconds:.1f} s)")  # fmt: skip
    if loaded:
        analyze_as_owner()
    return tenant


def analyze_as_owner() -> None:
    """Fresh statistics before the first request; only the tables' owner may ANALYZE them."""
    params = connection.settings_dict
    with psycopg.connect(
        dbname=params["NAME"], host=params["HOST"] or None, port=params["PORT"] or None,
        user=settings.DATABASE_ROLES["owner"], password=settings.DATABASE_PASSWORDS["owner"] or None,
        autocommit=True,
    ) as owner:  # fmt: skip
        owner.execute("ANALYZE finance_account, finance_transaction")


def pro_subscription(user: User) -> None:
    with tenant_context(user.pk):
        Subscription.objects.update_or_create(
            user_id=user.pk,
            stripe_subscription_id="sub_bench_api",
            defaults={
                "stripe_customer_id": "cus_bench_api", "stripe_price_id": "price_pro_monthly", "plan": "pro",
                "interval": "monthly", "status": Subscription.Status.ACTIVE,
                "current_period_end": timezone.now() + timedelta(days=30),
            },
        )  # fmt: skip


def fresh_api_key(user: User) -> str:
    """The token is shown once: each run revokes the keys of earlier runs and makes a new one."""
    for key in api_keys_for(owner_id=user.pk).filter(revoked_at__isnull=True):
        api_key_revoke(owner_id=user.pk, key_pk=key.pk)
    return api_key_create(owner_id=user.pk, name="bench-api").token


# --- the server ---------------------------------------------------------------------------------------
BENCH_SETTINGS = '''"""Production settings for the API benchmark, the plans' rate limits out of reach."""
from creditapp.settings import *  # noqa: F403

API_RATE_LIMITS = {RATE_LIMITS!r}
'''


def unlimited_rates() -> dict[str, Any]:
    rates: dict[str, Any] = {
        plan: dict.fromkeys(("read", "write", "sync"), UNLIMITED) for plan in settings.API_RATE_LIMITS
    }
    rates["anonymous"] = UNLIMITED
    return rates


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(settings_dir: str) -> dict[str, str]:
    """Production settings: every secret a dummy, HTTPS off so plain http reaches the app."""
    dummy = "bench-dummy-not-a-secret"
    secrets_ = {
        name: os.environ.get(name) or dummy
        for name in ("PLAID_CLIENT_ID", "PLAID_SECRET", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET",
                     "EXPERIAN_USERNAME", "EXPERIAN_PASSWORD", "EXPERIAN_CLIENT_ID", "EXPERIAN_CLIENT_SECRET")
    }  # fmt: skip
    return {
        **os.environ,
        **secrets_,
        "APP_ENV": "production",
        "DEBUG": "0",
        "HTTPS": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "EXPERIAN_BASE_URL": "https://experian.invalid",
        "SECRET_KEY": "bench-api-dummy-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "DJANGO_SETTINGS_MODULE": "bench_api_settings",
        "PYTHONPATH": os.pathsep.join([settings_dir, str(ROOT)]),
        "LOG_LEVEL": "ERROR",  # a 404 for a missing endpoint is expected, not news
    }


@contextmanager
def gunicorn() -> Iterator[int]:
    port = free_port()
    with tempfile.TemporaryDirectory() as settings_dir:
        Path(settings_dir, "bench_api_settings.py").write_text(
            BENCH_SETTINGS.replace("{RATE_LIMITS!r}", repr(unlimited_rates()))
        )
        executable = str(Path(sys.executable).parent / "gunicorn")
        command = [executable, "creditapp.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
                   "--log-level", "warning"]  # fmt: skip
        proc = subprocess.Popen(command, cwd=ROOT, env=production_env(settings_dir), start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while not _answers(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start; its output is above")
                time.sleep(0.2)
            yield port
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(16).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


# --- the load --------------------------------------------------------------------------------------
# A raw HTTP/1.1 client: gunicorn's sync workers close every connection, and the load generator shares
# the two cores with the server, so it should cost as little as possible per request.
async def fetch(port: int, request: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    response = await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    return int(response[9:12] or 0), elapsed


def raw_request(path: str, token: str | None) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json", "Connection: close"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@dataclass
class Result:
    p50_ms: float
    p95_ms: float
    rps: float


async def sequential(port: int, request: bytes) -> tuple[float, float]:
    for _ in range(SEQUENTIAL_WARMUP):
        await fetch(port, request)
    latencies = []
    for _ in range(SEQUENTIAL_REQUESTS):
        status, elapsed = await fetch(port, request)
        if status != 200:
            raise RuntimeError(f"status {status}")
        latencies.append(elapsed * 1000)
    cuts = statistics.quantiles(latencies, n=100)
    return statistics.median(latencies), cuts[94]


async def concurrent(port: int, request: bytes) -> float:
    async def client(count: list[int], target: int) -> None:
        while count[0] < target:
            count[0] += 1
            status, _ = await fetch(port, request)
            if status != 200:
                raise RuntimeError(f"status {status}")

    warm = [0]
    await asyncio.gather(*(client(warm, CONCURRENT_WARMUP) for _ in range(CLIENTS)))
    done = [0]
    started = time.perf_counter()
    await asyncio.gather(*(client(done, CONCURRENT_REQUESTS) for _ in range(CLIENTS)))
    return CONCURRENT_REQUESTS / (time.perf_counter() - started)


def available(port: int, path: str, token: str | None) -> bool:
    """False when the endpoint does not exist (yet)."""
    status, _ = asyncio.run(fetch(port, raw_request(path, token)))
    if status not in (200, 404):
        raise SystemExit(f"{path} answered {status}")
    return status == 200


def measure(port: int, path: str, token: str | None) -> Result:
    request = raw_request(path, token)
    p50, p95 = asyncio.run(sequential(port, request))
    return Result(p50, p95, asyncio.run(concurrent(port, request)))


def best(rounds: list[Result]) -> Result:
    """The least disturbed round: the machine is shared, and others' work only ever adds time."""
    latency = min(rounds, key=lambda result: result.p50_ms)
    return Result(latency.p50_ms, latency.p95_ms, max(result.rps for result in rounds))


# --- in-process: statements and profile ----------------------------------------------------------------
@dataclass
class Statements:
    count: int = 0
    seconds: float = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started
            self.count += 1


# Parts of a request, each the cumulative time of one function (file suffix, function name); where a
# name occurs more than once in the file (nested serializers), the outermost call counts.
STAGES = [
    ("middleware + routing + response", None),
    ("DRF: initial() — auth, throttle, permissions", ("creditapp/api/views.py", "initial")),
    ("  key + owner lookup (api_key_check)", ("accounts/api_keys.py", "api_key_check")),
    ("  tenant set (set_tenant)", ("creditapp/tenancy/db.py", "set_tenant")),
    ("  throttle (allow_request)", ("creditapp/api/throttling.py", "allow_request")),
    ("    plan lookup (entitlements)", ("billing/selectors.py", "entitlements")),
    ("    Redis", ("redis/client.py", "execute_command")),
    ("  permissions", ("rest_framework/views.py", "check_permissions")),
    ("filters (FilterSet)", ("rest_framework/generics.py", "filter_queryset")),
    ("pagination + the page's query", ("rest_framework/generics.py", "paginate_queryset")),
    ("serialization", ("rest_framework/serializers.py", "data")),
    ("JSON rendering", ("rest_framework/renderers.py", "render")),
    ("PostgreSQL waits (all statements)", ("psycopg/connection.py", "wait")),
]


def _cumulative(stats: pstats.Stats, where: tuple[str, str]) -> float:
    suffix, name = where
    found = [row[3] for (path, _, function), row in stats.stats.items()  # type: ignore[attr-defined]
             if function == name and path.endswith(suffix)]  # fmt: skip
    return max(found, default=0.0)


def in_process(path: str, token: str) -> None:
    """Through Django's own handler (as gunicorn calls it): the statements one request sends and
    what they cost, then a profile of PROFILE_REQUESTS requests by where their time goes."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT="application/json")
    with override_settings(API_RATE_LIMITS=unlimited_rates()):
        for _ in range(20):
            assert client.get(path).status_code == 200
        statements = Statements()
        with connection.execute_wrapper(statements):
            started = time.perf_counter()
            for _ in range(PROFILE_REQUESTS):
                client.get(path)
            total = time.perf_counter() - started
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(PROFILE_REQUESTS):
            client.get(path)
        profiler.disable()
    per = 1000 / PROFILE_REQUESTS
    print(f"  {path}: {total * per:.2f} ms a request; {statements.count / PROFILE_REQUESTS:.0f} statements "
          f"through the ORM took {statements.seconds * per:.2f} ms of it (BEGIN, COMMIT and the health "
          "check's SELECT 1 go round the ORM)")  # fmt: skip
    stats = pstats.Stats(profiler)
    profiled = stats.total_tt  # type: ignore[attr-defined]
    dispatch = _cumulative(stats, ("rest_framework/views.py", "dispatch"))
    print(f"    share of the profiled time ({profiled * per:.1f} ms a request under cProfile):")
    for label, where in STAGES:
        seconds = profiled - dispatch if where is None else _cumulative(stats, where)
        if seconds:
            print(f"    {label:<48} {100 * seconds / profiled:5.1f} %")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(PROFILE_LINES)
    lines = out.getvalue().splitlines()
    table = next(n for n, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print("    the functions with the most time of their own:")
    print("    " + "\n    ".join(line.replace(str(ROOT) + "/", "") for line in lines[table:] if line.strip()))


# --- the report ----------------------------------------------------------------------------------------
def _line(name: str, path: str, result: Result | None, bare: Result | None) -> str:
    if result is None:
        return f"{name:<14} {'not available':>25}         {path}"
    ratio = f"{result.rps / bare.rps:6.2f}" if bare else " " * 6
    return f"{name:<14} {result.p50_ms:7.2f} {result.p95_ms:7.2f} {result.rps:9.0f}  {ratio}  {path}"


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds", type=int, default=3, help="measure every endpoint this many times, keep the best"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="skip the in-process statements and profile"
    )
    options = parser.parse_args()

    tenant = load()
    pro_subscription(tenant)
    token = fresh_api_key(tenant)
    with tenant_context(tenant.pk):
        dates = Transaction.objects.filter(user_id=tenant.pk).order_by("date").values_list("date", flat=True)
        date_from = dates[TENANT_ROWS // 2]
    plain = {"plain view": "/health"}
    bare = {"me": "/api/v1/me/", "subscription": "/api/v1/subscription/"}
    lists = {
        "transactions": "/api/v1/transactions/",
        "filtered": f"/api/v1/transactions/?date_from={date_from.isoformat()}&min_amount_minor=5000",
        "spending": "/api/v1/spending/?group_by=category",
        "changes": "/api/v1/transactions/changes/",
    }
    endpoints = {**plain, **bare, **lists}
    role = connection.settings_dict["USER"]
    print(f"gunicorn: {WORKERS} sync workers, production settings (rate limits raised), PostgreSQL as "
          f"{role}; {os.cpu_count()} cores, shared with whatever else runs")  # fmt: skip
    print(f"1 client: {SEQUENTIAL_REQUESTS} requests after {SEQUENTIAL_WARMUP}; {CLIENTS} clients: "
          f"{CONCURRENT_REQUESTS} requests after {CONCURRENT_WARMUP}; a new connection per request; "
          f"best of {options.rounds} rounds, taken in turns")  # fmt: skip
    print(f"load average before: {_load_average()}")
    rounds: dict[str, list[Result]] = {}
    with gunicorn() as port:
        live = [
            name
            for name, path in endpoints.items()
            if available(port, path, None if name in plain else token)
        ]
        for _ in range(options.rounds):
            for name in live:
                rounds.setdefault(name, []).append(
                    measure(port, endpoints[name], None if name in plain else token)
                )
    print(f"load average after: {_load_average()}")
    results = {name: best(rounds[name]) if name in rounds else None for name in endpoints}
    fastest_bare = max((result for name in bare if (result := results[name])), key=lambda r: r.rps)
    print(f"{'endpoint':<14} {'p50 ms':>7} {'p95 ms':>7} {'req/s@32':>9}  {'÷ bare':>6}  path")
    for name, path in endpoints.items():
        print(_line(name, path, results[name], fastest_bare if name in lists else None))
    listed = results["transactions"]
    if listed is not None:
        ratio = listed.rps / fastest_bare.rps
        print(
            "targets for the transaction list: "
            f"p50 {listed.p50_ms:.1f} ms {'<=' if listed.p50_ms <= 4 else '>'} 4, "
            f"p95 {listed.p95_ms:.1f} ms {'<=' if listed.p95_ms <= 10 else '>'} 10, "
            f"{ratio:.2f} of bare {'>=' if ratio >= 0.6 else '<'} 0.6"
        )
    if not options.no_profile:
        print("in-process, through Django's handler (this process runs the devstack's settings):")
        for path in (bare["me"], lists["transactions"]):
            in_process(path, token)


if __name__ == "__main__":
    main()
