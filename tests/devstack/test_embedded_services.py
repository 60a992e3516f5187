"""README's commands on a fresh machine: embedded servers from any checkout, stopped the way they started."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from tests.conftest import ROOT
from tools import devstack

# The servers this module starts must be the embedded ones, whatever the test run itself uses.
pytestmark = pytest.mark.usefixtures("no_service_urls")

SERVE_UNTIL_STOPPED = """
import sys, time
from pathlib import Path
from tools import devstack
devstack.stop_on_signals()
try:
    with devstack.embedded_services(Path(sys.argv[1])):
        print("ready", flush=True)
        time.sleep(600)
except KeyboardInterrupt:
    sys.exit(130)
"""


@pytest.fixture
def no_service_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)


@pytest.fixture
def private_checkout(tmp_path: Path) -> Iterator[Path]:
    """The `.local` folder of a checkout in a 0700 folder (as `mktemp -d` and root's home are)."""
    checkout = tmp_path / "private" / "app"
    checkout.mkdir(parents=True)
    (tmp_path / "private").chmod(0o700)
    checkout.chmod(0o700)
    local = checkout / ".local"
    yield local
    devstack.stop_postgres(local)
    devstack.stop_redis(local)
    shutil.rmtree(devstack.postgres_home(local), ignore_errors=True)


def running(local: Path) -> tuple[bool, bool]:
    data = devstack.postgres_home(local) / "data"
    return devstack._postgres_running(data), devstack._pid_alive(local / "redis" / "redis.pid")


def test_the_embedded_servers_start_from_a_folder_only_its_owner_can_enter(private_checkout: Path) -> None:
    database_url, pg_started = devstack.ensure_postgres(private_checkout)
    redis_url, redis_started = devstack.ensure_redis(private_checkout)
    assert pg_started and redis_started

    with psycopg.connect(database_url.rsplit("/", 1)[0] + "/postgres") as connection:
        assert connection.execute("SELECT 1").fetchone() == (1,)
    assert redis.Redis.from_url(redis_url).ping()

    # A second command finds them running and does not count them as its own.
    assert devstack.ensure_postgres(private_checkout) == (database_url, False)
    assert devstack.ensure_redis(private_checkout) == (redis_url, False)


def test_a_server_that_cannot_start_is_one_line_saying_what_to_do(private_checkout: Path) -> None:
    home = devstack.postgres_home(private_checkout)
    home.mkdir(parents=True)
    (home / "data").write_text("not a directory")  # initdb cannot create its cluster here
    result = subprocess.run(
        [sys.executable, "-c", f"from pathlib import Path; from tools import devstack; "
         f"devstack.ensure_postgres(Path({str(private_checkout)!r}))"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: initdb failed in") and "DATABASE_URL" in line


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "Ctrl-C"])
def test_a_signal_to_the_command_stops_the_servers_it_started(private_checkout: Path, signum: int) -> None:
    command = subprocess.Popen(
        [sys.executable, "-c", SERVE_UNTIL_STOPPED, str(private_checkout)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert command.stdout is not None
    for line in command.stdout:  # waits for the state, not for a time
        if line.strip() == "ready":
            break
    assert running(private_checkout) == (True, True)

    os.killpg(command.pid, signum)  # as a terminal or a process manager signals the whole group
    assert command.wait(timeout=60) == 130
    assert running(private_checkout) == (False, False)


def test_servers_that_were_already_running_keep_running(private_checkout: Path) -> None:
    devstack.ensure_postgres(private_checkout)
    devstack.ensure_redis(private_checkout)
    command = subprocess.Popen(
        [sys.executable, "-c", SERVE_UNTIL_STOPPED, str(private_checkout)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    assert command.stdout is not None
    assert command.stdout.readline().strip() == "ready"
    os.killpg(command.pid, signal.SIGTERM)
    assert command.wait(timeout=60) == 130
    assert running(private_checkout) == (True, True)


@pytest.mark.parametrize(
    ("args", "wanted"),
    [
        ([], True),
        (["-q", "-p", "no:cacheprovider"], True),
        (["tests/tenancy", "-x"], False),
        (["tests/e2e/test_journey.py::test_the_whole_journey"], True),
        (["tests"], True),
        (["-k", "csv"], True),
    ],
)
def test_make_test_wants_a_browser_only_for_browser_tests(args: list[str], wanted: bool) -> None:
    assert devstack.wants_browser(args) is wanted


def test_without_chromium_or_a_way_to_install_it_make_test_stops_with_one_instruction(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(devstack, "CHROMIUM", str(tmp_path / "no-chromium"))
    monkeypatch.setattr(devstack, "AS_ROOT", False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no sudo, no apt-get
    with pytest.raises(SystemExit) as stopped:
        devstack.ensure_chromium()
    message = str(stopped.value.code)
    assert message.startswith("error: the browser tests need Chromium") and "\n" not in message
    assert "apt-get install -y chromium" in message
