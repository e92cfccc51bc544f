# Depot: `make demo` sets up and serves Depot with demo data; `make test` runs every test.
VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app wsgi
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: setup translations demo serve test test-sqlite test-postgres bench clean

setup: $(VENV)/.installed translations

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile --use-fuzzy -q -d core/translations

demo: setup
	$(FLASK) db upgrade
	$(FLASK) depot demo --if-empty
	@echo "Depot is at http://$(HOST):$(PORT)/  (sign in as one of the users above)"
	$(FLASK) run --host $(HOST) --port $(PORT)

serve: setup
	$(FLASK) db upgrade
	$(VENV)/bin/gunicorn --workers 2 --bind $(HOST):$(PORT) wsgi:app

# The whole suite, on SQLite and then on PostgreSQL.
test: test-sqlite test-postgres

test-sqlite: setup
	DEPOT_TEST_DATABASE_URL= $(PY) -m pytest $(PYTEST_ARGS)

test-postgres: setup
	DEPOT_TEST_DATABASE_URL=$${DEPOT_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache
