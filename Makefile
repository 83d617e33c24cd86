# The commands a newcomer types: make run, make test. Everything installs itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app recruitcare
PYTEST_ARGS ?= -q

.PHONY: run test lint format test-sqlite test-postgres test-e2e bench serve clean simulate train-scorer

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

# The outbox worker and the sweep (every five minutes, as cron would; output in
# instance/sweep.log) run beside the web server and stop with it; with the development mail
# backend, messages land in instance/mail and show on the "Sent mail" page.
run: $(VENV)/.installed
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) outbox run & worker=$$!; \
	(while :; do $(FLASK) sweep >> instance/sweep.log 2>&1; sleep 300; done) & sweeper=$$!; \
	trap 'kill $$worker $$sweeper 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port 5000

# Production settings on this machine: gunicorn (several workers) on PostgreSQL, plus the
# outbox worker. Starts a throwaway PostgreSQL unless RECRUITCARE_SQLALCHEMY_DATABASE_URI is set.
serve: $(VENV)/.installed
	$(PY) scripts/serve.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# The browser journeys run once, in test-e2e, not again on each database.
UNIT := -m "not e2e and not browser"

test-sqlite: $(VENV)/.installed-test
	$(PY) -m pytest $(UNIT) $(PYTEST_ARGS)

test-postgres: $(VENV)/.installed-test
	$(PY) scripts/with_postgres.py $(PY) -m pytest $(UNIT) $(PYTEST_ARGS)

# Journeys in Debian's Chromium against the app under gunicorn, with the outbox worker and a
# local SMTP server; installs Chromium and axe-core when missing. RECRUITCARE_SKIP_E2E=1 skips.
test-e2e: $(VENV)/.installed-test
	$(PY) scripts/ensure_browser.py
	$(PY) -m pytest -m "e2e or browser" $(PYTEST_ARGS)

test: lint test-sqlite test-postgres test-e2e

# Retrain the language checker's second reader from tests/data (needs scikit-learn); the
# result, recruitcare/domain/language/scorer.json.gz, is the same bytes for the same data.
train-scorer: $(VENV)/.installed-test
	$(PY) -m pip install -q -e ".[test,train]"
	$(PY) scripts/train_language_scorer.py

# Every bench/bench_*.py, with a throwaway PostgreSQL for the ones served through gunicorn.
bench: $(VENV)/.installed-test
	$(PY) scripts/with_postgres.py $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# A year of hiring through the sweep on a simulated clock (bench/simulate_year.py): who waited
# past their promise without an update, promises kept, closure times. Six to seven minutes.
simulate: $(VENV)/.installed
	$(PY) bench/simulate_year.py
