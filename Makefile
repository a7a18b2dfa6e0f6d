# Two quick-start targets:
#   make run   the API with the demo dataset on http://127.0.0.1:8000 (SQLite file ./fairflag.db)
#   make test  lint, migration checks on SQLite and PostgreSQL, then every test on both databases
# Both create .venv (python3 -m venv) when it is missing; installs are redone only when pyproject.toml changes.
# `make test` also installs Debian's Chromium (apt-get, as root) when /usr/bin/chromium is missing.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PG := -h 127.0.0.1 -p 5432 -U postgres
CHROMIUM := /usr/bin/chromium
# The database the test suite's harness connects to (tests/conftest.py); it creates its own per test.
export FAIRFLAG_TEST_PG_URL ?= postgresql://postgres@127.0.0.1:5432/test

.PHONY: run test

run: $(VENV)/.installed
	FAIRFLAG_DATABASE_URL=sqlite:///fairflag.db $(BIN)/fairflag serve --demo

test: $(VENV)/.installed-test
	@# PostgreSQL must be up: start the local cluster if it is not, and fail loudly if that fails. Never skip.
	@if ! pg_isready -q $(PG); then \
	  version=$$(ls /etc/postgresql | sort -V | tail -n 1); \
	  echo "== starting PostgreSQL $$version"; \
	  pg_ctlcluster --skip-systemctl-redirect "$$version" main start || true; \
	  for _ in $$(seq 1 60); do pg_isready -q $(PG) && break; sleep 1; done; \
	fi; \
	pg_isready $(PG) || { echo "error: PostgreSQL is not running at 127.0.0.1:5432 and could not be started" >&2; exit 1; }
	@psql $(PG) -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'test'" | grep -q 1 || createdb $(PG) test
	$(BIN)/ruff check src tests
	@echo "== fairflag migrate --check on a scratch SQLite file"
	@scratch=$$(mktemp -d); trap 'rm -rf "$$scratch"' EXIT; \
	  export FAIRFLAG_DATABASE_URL="sqlite:///$$scratch/check.db"; \
	  $(BIN)/fairflag migrate; $(BIN)/fairflag migrate --check
	@echo "== fairflag migrate --check on a scratch PostgreSQL database"
	@name="ff_check_$$$$_$$RANDOM"; createdb $(PG) "$$name"; trap 'dropdb $(PG) --force "$$name"' EXIT; \
	  export FAIRFLAG_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/$$name"; \
	  $(BIN)/fairflag migrate; $(BIN)/fairflag migrate --check
	$(BIN)/pytest -q

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(CHROMIUM) | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

# The console's browser tests drive Debian's Chromium (never a browser that Playwright downloads). Installed
# once when missing (CI runs as root on a fresh machine); a no-op when the file exists.
$(CHROMIUM):
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
