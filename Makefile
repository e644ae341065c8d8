# Two commands on a fresh machine: `make run` (demo server) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint format messages clean chromium bench backup restore loadtest lock audit

$(PY):
	$(PYTHON) -m venv $(VENV)

# The requirements/*.txt files are hashed lock files written by `make lock` from the *.in
# files: pip installs exactly those files or nothing.
$(VENV)/.base-installed: requirements/base.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/base.txt
	touch $@

# Development takes the production packages too: the suite tests gunicorn's configuration.
$(VENV)/.dev-installed: requirements/base.txt requirements/prod.txt requirements/dev.txt | $(PY)
	$(PY) -m pip install --quiet --require-hashes -r requirements/dev.txt
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
	$(PY) -m pip install --quiet --require-hashes -r requirements/prod.txt
	touch $@

# In a variable: the commas of --steps would split the arguments of $(if ...).
LOADTEST_QUICK := --users 20 --run-time 3m --steps 5,10,20 --step-time 20 --spike 50 \
	--soak-users 20 --soak-time 60 --export-organisations 300
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

# uv and pip-audit live in a venv of their own: their dependencies move no version that
# dev.txt locks for the suite.
TOOLS := $(VENV)/tools
$(TOOLS)/.installed: requirements/tools.txt
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --require-hashes -r requirements/tools.txt
	touch $@

# Rewrites the lock files from the *.in files, for Python 3.11 on every platform (hashes of
# every wheel: x86_64 and aarch64 CI alike), keeping the versions already locked unless an
# .in file asks otherwise; LOCK_ARGS=--upgrade moves them all. base.txt and prod.txt are
# constrained by dev.txt so that the three files lock the same versions.
LOCK := $(TOOLS)/bin/uv pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --no-emit-index-url --no-emit-find-links \
	--custom-compile-command "make lock" $(LOCK_ARGS)
lock: $(TOOLS)/.installed
	$(LOCK) requirements/dev.in -o requirements/dev.txt
	$(LOCK) requirements/prod.in -c requirements/dev.txt -o requirements/prod.txt
	$(LOCK) requirements/base.in -c requirements/dev.txt -o requirements/base.txt
	$(LOCK) requirements/tools.in -o requirements/tools.txt

# Release step (DH-2), not part of `make test` or CI: PyPI's advisory service must be
# reachable, which it is not on a closed network. dev.txt holds every version of base.txt
# and prod.txt (tests/test_supply_chain.py). --strict: a package the service does not
# know fails the audit instead of being skipped. Waivers, each with its written reason, are
# the IDs in requirements/audit-waivers.txt. The probe asks for one release, as pip-audit
# does: a mirror may answer for a project's latest release and not for a given one.
AUDIT_PROBE := https://pypi.org/pypi/django/5.2/json
audit:
	@$(PYTHON) -c "import json, urllib.request as r; \
		json.load(r.urlopen('$(AUDIT_PROBE)', timeout=15))['vulnerabilities']" 2>/dev/null \
		|| { echo "make audit: PyPI's advisory service ($(AUDIT_PROBE)) is unreachable from here; run 'make audit' on a machine with network before each release (README: release steps)." >&2; exit 1; }
	@$(MAKE) --no-print-directory $(TOOLS)/.installed
	$(TOOLS)/bin/pip-audit --strict --require-hashes --disable-pip --progress-spinner off \
		$(addprefix --ignore-vuln ,$(shell sed 's/#.*//' requirements/audit-waivers.txt)) \
		-r requirements/dev.txt -r requirements/tools.txt

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
