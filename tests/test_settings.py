"""Settings from the environment: production refuses to start without its secrets; .env.example is
one file a shell and Docker read alike."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet

from tests.conftest import ROOT

ENV_EXAMPLE = ROOT / ".env.example"
PRODUCTION_SECRETS = {
    "SECRET_KEY": "x" * 20 + Fernet.generate_key().decode(),
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "STRIPE_SECRET_KEY": "sk_live_0123456789",
    "STRIPE_WEBHOOK_SECRET": "whsec_0123456789",
    "PLAID_CLIENT_ID": "plaid-client",
    "PLAID_SECRET": "plaid-secret",
    "EXPERIAN_BASE_URL": "https://us-api.experian.com",
    "EXPERIAN_USERNAME": "experian-user",
    "EXPERIAN_PASSWORD": "experian-password",
    "EXPERIAN_CLIENT_ID": "experian-client",
    "EXPERIAN_CLIENT_SECRET": "experian-client-secret",
}


def production_env(**overrides: str) -> dict[str, str]:
    """A production environment built from nothing, so no development value leaks in."""
    import os

    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/"),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "REDIS_URL": os.environ["REDIS_URL"],
        "APP_ENV": "production",
        "DEBUG": "0",
        "HTTPS": "1",
        "ALLOWED_HOSTS": "app.example.com",
        **PRODUCTION_SECRETS,
    }
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip


def test_check_deploy_with_every_secret_reports_nothing() -> None:
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize("name", sorted(PRODUCTION_SECRETS))
def test_production_refuses_to_start_without_each_secret(name: str) -> None:
    for missing in (None, ""):  # unset, and set to nothing (as in .env.example)
        env = production_env()
        if missing is None:
            del env[name]
        else:
            env[name] = missing
        result = check_deploy(env)
        assert result.returncode != 0
        assert "refuses to start without" in result.stderr and name in result.stderr

    wsgi = subprocess.run(
        [sys.executable, "-c", "import creditapp.wsgi"],
        cwd=ROOT, env={**production_env(), name: ""}, capture_output=True, text=True,
    )  # fmt: skip
    assert wsgi.returncode != 0 and name in wsgi.stderr


def test_production_refuses_webhooks_to_private_addresses() -> None:
    result = check_deploy(production_env(WEBHOOKS_ALLOW_PRIVATE_TARGETS="true"))
    assert result.returncode != 0
    assert "WEBHOOKS_ALLOW_PRIVATE_TARGETS" in result.stderr
    assert check_deploy(production_env(WEBHOOKS_ALLOW_PRIVATE_TARGETS="false")).returncode == 0


def test_development_and_tests_fall_back_to_the_sandbox_webhook_secret() -> None:
    env = {**production_env(STRIPE_WEBHOOK_SECRET="", STRIPE_SECRET_KEY=""), "APP_ENV": "development"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); from django.conf import settings; "
         "print(settings.STRIPE_WEBHOOK_SECRET)"],
        cwd=ROOT, env={**env, "DJANGO_SETTINGS_MODULE": "creditapp.settings"}, capture_output=True, text=True,
    )  # fmt: skip
    assert result.stdout.strip() == "whsec_local_sandbox_secret", result.stderr


def example_lines() -> list[tuple[str, str]]:
    lines = [line for line in ENV_EXAMPLE.read_text().splitlines() if line and not line.startswith("#")]
    return [tuple(line.split("=", 1)) for line in lines]  # type: ignore[misc]


def test_env_example_means_the_same_to_a_shell_and_to_docker() -> None:
    # Docker's env files take everything after the first "=" literally (no quotes, no expansion): a
    # value the shell would read differently must not be there at all.
    for key, value in example_lines():
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", key), key
        assert re.fullmatch(r"[A-Za-z0-9_.:/@,=+-]*", value), f"{key}={value} needs quoting in a shell"
    shell = subprocess.run(
        ["bash", "-c", "set -euo pipefail; set -a; . ./.env.example; set +a; env -0"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, capture_output=True,
    )  # fmt: skip
    assert shell.returncode == 0, shell.stderr
    from_shell = dict(item.split("=", 1) for item in shell.stdout.decode().split("\0") if "=" in item)
    assert {key: from_shell.get(key) for key, _ in example_lines()} == dict(example_lines())


def test_env_example_lists_every_variable_the_settings_read() -> None:
    source = (ROOT / "creditapp" / "settings.py").read_text()
    read = set(re.findall(r"""\benv(?:\.\w+)?\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    read |= set(re.findall(r"""_required_in_production\(\s*["']([A-Z][A-Z0-9_]*)["']""", source))
    assert len(read) > 40
    assert read - {key for key, _ in example_lines()} == set()


def test_an_empty_db_name_leaves_the_database_of_database_url() -> None:
    env = {
        **dict(example_lines()),
        "PATH": "/usr/bin:/bin",
        "APP_ENV": "test",
        "DATABASE_URL": "postgres://someone@db.example.com:5432/from_the_url",
        "DJANGO_SETTINGS_MODULE": "creditapp.settings",
    }
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; "
         "print(settings.DATABASES['default']['NAME'])"],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert result.stdout.strip() == "from_the_url", result.stderr
