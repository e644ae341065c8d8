# Two commands on a fresh machine: `make run` (demo server) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint format messages clean chromium bench backup restore loadtest

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/base.txt
	touch $@

# Development takes the production packages too: the suite tests gunicorn's configuration.
$(VENV)/.dev-installed: requirements/base.txt requirements/prod.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $@ $(VENV)/.base-installed $(VENV)/.prod-installed

# PORT reaches the settings too: without SITE_URL, links point at the port served.
run: $(VENV)/.base-installed
	$(PY) manage.py migrate --no-input
	PORT=$(PORT) $(PY) manage.py seed_demo
	@# The export worker runs beside the web server and stops with it.
	PORT=$(PORT) $(PY) manage.py db_worker & worker=$$!; trap "kill $$worker" EXIT INT TERM; \
		PORT=$(PORT) $(PY) manage.py runserver 127.0.0.1:$(PORT)

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here).
chromium:
	@command -v chromium >/dev/null || { \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

test: $(VENV)/.dev-installed chromium
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest

# Benchmarks on a scratch database: a generated campaign, timed through the real code.
# SQLite by default (a file under /tmp, made afresh); with DATABASE_URL set to a scratch
# PostgreSQL database, 10,000 and 100,000 responses. QUICK=1: 500 responses.
BENCH_SQLITE := /tmp/survey-bench.sqlite3
bench: $(VENV)/.base-installed
ifeq ($(findstring postgres,$(DATABASE_URL)),postgres)
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py bench --responses $(if $(QUICK),500,10000 100000)
	$(PY) manage.py bench_export --responses $(if $(QUICK),500,10000)
else
	rm -f $(BENCH_SQLITE) $(BENCH_SQLITE)-wal $(BENCH_SQLITE)-shm
	DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(PY) manage.py bench --responses $(if $(QUICK),500,10000)
	DATABASE_URL=sqlite:///$(BENCH_SQLITE) $(PY) manage.py bench_export --responses $(if $(QUICK),500,10000)
endif

# The deadline-rush load test (LD-1/LD-2), not part of `make test`: Locust, headless,
# against gunicorn (survey/gunicorn.py) on 127.0.0.1, on scratch databases only (a SQLite
# file under /tmp; PostgreSQL databases on 127.0.0.1:5432 it creates and drops), then the
# oracle. QUICK=1: a short run; LOADTEST_ARGS passes more (see manage.py loadtest -h).
$(VENV)/.prod-installed: requirements/base.txt requirements/prod.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements/prod.txt
	touch $@

# In a variable: the commas of --steps would split the arguments of $(if ...).
LOADTEST_QUICK := --users 20 --run-time 3m --steps 5,10,20 --step-time 20
loadtest: $(VENV)/.dev-installed $(VENV)/.prod-installed
	$(PY) manage.py loadtest $(if $(QUICK),$(LOADTEST_QUICK)) $(LOADTEST_ARGS)

# Online backups (DL-7) of the database DATABASE_URL names, taken while the app runs:
# SQLite through its backup API, PostgreSQL through pg_dump. BACKUP= names the file
# (default backups/survey-<UTC time>.sqlite3 or .dump); a manifest goes beside it.
backup: $(VENV)/.base-installed
	$(PY) manage.py backup $(if $(BACKUP),--output "$(BACKUP)")

# Into an empty database only (FORCE=1 replaces what it holds), then checked against the
# manifest: exits non-zero on any difference.
restore: $(VENV)/.base-installed
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=path [FORCE=1]" >&2; exit 2; }
	$(PY) manage.py restore "$(BACKUP)" $(if $(FORCE),--force)

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Needs GNU gettext; the compiled .mo files are committed so that users need nothing.
messages: $(VENV)/.dev-installed
	$(PY) manage.py makemessages --locale fr --ignore .venv --ignore tests --ignore staticfiles
	$(PY) manage.py compilemessages --locale fr --ignore .venv

clean:
	rm -rf $(VENV) test-db.sqlite3*
