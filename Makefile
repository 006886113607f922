# Two commands matter: `make run` (a bare machine to a running demo on http://127.0.0.1:8000) and
# `make test` (install everything and run the whole suite, lint and migration check included).

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
MANAGE := $(BIN)/python manage.py
# The embedded default: SQLite in ./var, eager tasks, e-mail to the console.
DEMO_ENV := DEBUG=1

.PHONY: run install system-deps test lint test-sqlite bench bench-http clean api-schema

$(VENV)/.installed: requirements.lock
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $@

install: $(VENV)/.installed

# Debian libraries for WeasyPrint (PDFs) and Chromium for the browser tests.
system-deps:
	@bash scripts/system-deps.sh

run: install
	$(DEMO_ENV) $(MANAGE) migrate --noinput
	$(DEMO_ENV) $(MANAGE) load_demo
	$(DEMO_ENV) $(MANAGE) runserver 127.0.0.1:8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	env -u DATABASE_URL $(DEMO_ENV) $(MANAGE) makemigrations --check --dry-run

# The OpenID Connect provider the single sign-on browser test signs in against (npm, locked).
tests/oidc/node_modules/.installed: tests/oidc/package-lock.json
	cd tests/oidc && npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The suite in one process per core (pytest-xdist), each with its own test database; then, alone,
# the services tests, which start Celery workers on the shared Redis.
test: install system-deps lint tests/oidc/node_modules/.installed
	$(BIN)/pytest --numprocesses auto -m "not services"
	$(BIN)/pytest -m services

# The API's OpenAPI schema, checked in: tests/test_api_schema.py fails when the code and it differ.
api-schema: install
	env -u DATABASE_URL $(DEMO_ENV) $(MANAGE) spectacular --validate --fail-on-warn \
		--file docs/api/openapi.yaml

bench: install
	$(BIN)/python bench/run.py

bench-http: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(BIN)/python bench/over_http.py

clean:
	rm -rf $(VENV) var staticfiles
