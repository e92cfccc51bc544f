# Depot: `make demo` sets up and serves Depot with demo data; `make test` runs every test.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: setup translations browser printing mailserver demo serve test test-sqlite test-postgres bench clean

setup: $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -d core/translations

demo: setup
	$(FLASK) db upgrade
	$(FLASK) depot demo --if-empty
	@echo "Depot is at http://$(HOST):$(PORT)/  (sign in as one of the users above)"
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: setup
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --config gunicorn.conf.py --workers 2 --bind $(HOST):$(PORT) wsgi:app

# The whole suite, on SQLite and on PostgreSQL side by side (one per core);
# each run's output is printed whole when it ends.
# Each run ends with its fifteen slowest tests, so a slow CI run shows where its time went.
test: setup browser printing mailserver
	$(MAKE) --no-print-directory -j2 --output-sync=target pytest-sqlite pytest-postgres

# The browser tests drive Debian's Chromium (never a browser downloaded by Playwright).
browser:
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing Chromium for the browser tests (apt-get install chromium)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } || \
		{ echo "ERROR: could not install chromium with apt-get" >&2; exit 1; }; \
	else \
		echo "NOTE: /usr/bin/chromium is missing and this is not root: run 'sudo apt-get install -y chromium'"; \
		echo "      (until then the browser tests in tests/e2e are skipped)"; \
	fi

# Labels: a CJK font to embed in PDFs, poppler (pdffonts, pdftotext) and an IPP printer for the print
# tests (ippeveprinter, with avahi on a system D-Bus): installed and started by .ci/printing-services.
printing:
	@if [ "$$(id -u)" = "0" ]; then bash .ci/printing-services; \
	else \
		echo "NOTE: as root, 'bash .ci/printing-services' installs fonts-wqy-microhei poppler-utils cups-ipp-utils"; \
		echo "      avahi-daemon dbus and starts D-Bus and avahi (until then the IPP print test is skipped)"; \
	fi

# The hotline's mail-intake tests run a private dovecot (IMAP) on loopback: Debian's dovecot-imapd.
mailserver:
	@if [ -x /usr/sbin/dovecot ]; then :; \
	elif [ "$$(id -u)" = "0" ]; then \
		echo "Installing dovecot for the mail-intake tests (apt-get install dovecot-imapd)"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null 2>&1 || \
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
		  DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null; } || \
		{ echo "ERROR: could not install dovecot-imapd with apt-get" >&2; exit 1; }; \
	else \
		echo "NOTE: /usr/sbin/dovecot is missing and this is not root: run 'sudo apt-get install -y dovecot-imapd'"; \
		echo "      (until then the mail-intake tests in tests/hotline are skipped)"; \
	fi

test-sqlite: setup browser printing mailserver
	$(MAKE) --no-print-directory pytest-sqlite

test-postgres: setup browser printing mailserver
	$(MAKE) --no-print-directory pytest-postgres

pytest-sqlite:
	@echo "== tests on SQLite"; mkdir -p $(CURDIR)/.pytest-tmp
	DEPOT_TEST_DATABASE_URL= $(PY) -m pytest -p no:cacheprovider --durations=15 --basetemp=$(CURDIR)/.pytest-tmp/sqlite $(PYTEST_ARGS)

pytest-postgres:
	@echo "== tests on PostgreSQL"; mkdir -p $(CURDIR)/.pytest-tmp
	DEPOT_TEST_DATABASE_URL=$${DEPOT_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PY) -m pytest -p no:cacheprovider --durations=15 --basetemp=$(CURDIR)/.pytest-tmp/postgres $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .pytest-tmp test-artifacts
