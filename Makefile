# The README's commands. Everything installs itself; no DATABASE_URL/REDIS_URL → embedded servers.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
ARGS ?=

.PHONY: install run test manage audit bench-sync bench-api lint imports stop

install:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv
	@$(UV) sync --frozen --quiet

run: install
	@$(PY) -m tools.devstack run

test: install
	@$(PY) -m tools.devstack test $(ARGS)

# Any management command with the development environment, e.g. make manage ARGS="createsuperuser".
manage: install
	@$(PY) -m tools.devstack manage $(ARGS)

audit: install
	@$(PY) -m tools.devstack audit

bench-sync: install
	@$(PY) -m tools.devstack script benchmarks/sync_ingest.py $(ARGS)

# The REST API under gunicorn with production settings, on 1 M transactions (loaded once, then kept).
bench-api: install
	@$(PY) -m tools.devstack script benchmarks/bench_api.py $(ARGS)

# The import contracts alone (pyproject's [tool.importlinter]): layers, and the sandbox kept apart.
imports: install
	@.venv/bin/lint-imports --no-cache

lint: install
	@$(PY) -m ruff check . && $(PY) -m ruff format --check . && .venv/bin/lint-imports --no-cache \
		&& APP_ENV=development $(PY) -m mypy .

stop:
	@$(PY) -m tools.devstack stop
