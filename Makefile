# The README's commands. Everything installs itself; no DATABASE_URL/REDIS_URL → embedded servers.
UV ?= $(shell command -v uv 2>/dev/null || echo "$(HOME)/.local/bin/uv")
PY := .venv/bin/python
ARGS ?=

.PHONY: install run test manage audit bench-sync lint stop

install:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --quiet --user uv
	@$(UV) sync --frozen --quiet

run: install
	@$(PY) -m creditapp.devstack run

test: install
	@$(PY) -m creditapp.devstack test $(ARGS)

# Any management command with the development environment, e.g. make manage ARGS="createsuperuser".
manage: install
	@$(PY) -m creditapp.devstack manage $(ARGS)

audit: install
	@$(PY) -m creditapp.devstack audit

bench-sync: install
	@$(PY) -m creditapp.devstack script benchmarks/sync_ingest.py $(ARGS)

lint: install
	@$(PY) -m ruff check . && $(PY) -m ruff format --check . && APP_ENV=development $(PY) -m mypy .

stop:
	@$(PY) -m creditapp.devstack stop
