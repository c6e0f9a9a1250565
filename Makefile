# Two commands do everything on a fresh machine with Python 3.11+ and make:
#   make run   -> embedded Khata (SQLite, in-memory broadcast, in-process jobs, demo data)
#   make test  -> the suite on SQLite and, side by side, on PostgreSQL + Redis where reachable
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint fmt typecheck schema bench lock clean

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	@# the GraphiQL browser test drives Debian's Chromium (Playwright cannot download its own)
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "Chromium missing: run 'sudo apt-get install chromium' (the GraphiQL test needs /usr/bin/chromium)"; \
	  fi; \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock -r requirements-dev.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/khata migrate
	$(BIN)/khata demo
	$(BIN)/khata serve

test: $(STAMP)
	$(BIN)/python -m tests.run_suites

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schema: $(STAMP)
	$(BIN)/khata export-schema

bench: $(STAMP)
	$(BIN)/python -m bench.customers_search

lock:
	$(BIN)/python -m tools.lock

clean:
	rm -rf $(VENV) khata.db khata.db-*
