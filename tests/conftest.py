"""Tests create and migrate the database as the owner role, then run as the app role (DESIGN §4).

Superusers and owners skip row-level security, so a suite that ran as either would prove nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import TransactionTestCase

from sandbox.server import start_subprocess as start_sandbox

ROOT = Path(__file__).resolve().parent.parent


def _credentials(role: str) -> dict[str, str]:
    return {"USER": settings.DATABASE_ROLES[role], "PASSWORD": settings.DATABASE_PASSWORDS[role]}


def _login(alias: str, role: str) -> None:
    connection = connections[alias]
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    # A test mirror shares its primary's settings dict; give it its own before changing credentials.
    connection.settings_dict = {**connection.settings_dict, **_credentials(role)}


@contextmanager
def owner_connection() -> Iterator[None]:
    """Run the block with `default` connected as the owner (flushes, catalog reads)."""
    _login("default", "owner")
    try:
        yield
    finally:
        _login("default", "app")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    _login("default", "owner")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    with django_db_blocker.unblock():
        _login("default", "app")
        # maint mirrors default's database but keeps its own role.
        connections["maint"].settings_dict = {**connections["default"].settings_dict, **_credentials("maint")}
        connections["maint"].close()
        yield
        connections["maint"].close()
        if hasattr(connections["maint"], "close_pool"):
            connections["maint"].close_pool()
        _login("default", "owner")


_original_teardown = TransactionTestCase._fixture_teardown  # type: ignore[attr-defined]


def _teardown_as_owner(self: TransactionTestCase) -> None:
    """flush uses TRUNCATE, which the app role must never hold: flush as the owner."""
    connections["maint"].close()
    with owner_connection():
        _original_teardown(self)


TransactionTestCase._fixture_teardown = _teardown_as_owner  # type: ignore[attr-defined]


# --- real processes -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sandbox_state_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the session's sandbox keeps its state (and Plaid's webhook signing key)."""
    return tmp_path_factory.mktemp("sandbox-state")


@pytest.fixture(scope="session")
def sandbox_url(sandbox_state_dir: Path) -> Iterator[str]:
    """One vendor sandbox for the session; the app (and any worker started later) points at it."""
    from finance.banking import plaid

    proc, url = start_sandbox({"SANDBOX_STATE_DIR": str(sandbox_state_dir)})
    previous = settings.SANDBOX_URL, settings.SANDBOX_PUBLIC_URL
    settings.SANDBOX_URL = settings.SANDBOX_PUBLIC_URL = os.environ["SANDBOX_URL"] = url
    plaid._api.cache_clear()
    yield url
    settings.SANDBOX_URL, settings.SANDBOX_PUBLIC_URL = previous
    plaid._api.cache_clear()
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def test_database_name(django_db_setup: None) -> str:
    return str(connections["default"].settings_dict["NAME"])


@pytest.fixture
def enqueued() -> Iterator[Callable[[], list[str]]]:
    """Empties the run's Celery queue, then reports the names of the tasks published to it since."""
    from creditapp.celery import app
    from creditapp.core.locks import redis_client

    app.control.purge()
    queue = app.conf.task_default_queue

    def names() -> list[str]:
        messages = redis_client().lrange(queue, 0, -1)
        return sorted(json.loads(message)["headers"]["task"] for message in messages)

    yield names
    app.control.purge()


@pytest.fixture
def celery_worker_process(test_database_name: str) -> Iterator[None]:
    """A real Celery worker subprocess on the test database, consuming the run's own queue.

    `make test` gives every run its own queue (CELERY_QUEUE); messages left by earlier tests that
    had no worker are purged first.
    """
    from creditapp.celery import app

    app.control.purge()
    env = {**os.environ, "DB_NAME": test_database_name}
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "creditapp", "worker", "--pool", "solo",
         "--queues", app.conf.task_default_queue, "--loglevel", "WARNING",
         "--without-heartbeat", "--without-gossip", "--without-mingle"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=20)
