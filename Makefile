# Settle: `make run` serves the portal with demo data on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SETTLE_DATABASE_URL ?= sqlite:///settle.db

.PHONY: run test soak lint typecheck check bench bench-quick clean catalogs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/settle db upgrade
	$(BIN)/settle demo
	$(BIN)/settle serve --host 127.0.0.1 --port 8000

# The suite on every core and one more (its tests wait on databases, servers and browsers as much as they
# compute); a test file runs whole on one worker (a fault module's tests share what they count; xdist's
# loadgroup does not group under pytest 9). TEST_WORKERS=0 runs it in this one process.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))

test: $(STAMP)
	$(BIN)/ruff check settle tests bench
	$(BIN)/ruff format --check settle tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# The fault, load and fuzz suite of tests/faults with its long counts (500 kills, 20,000 payments…): by hand, not in CI.
soak: $(STAMP)
	SETTLE_SOAK=1 $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile tests/faults

lint: $(STAMP)
	$(BIN)/ruff check settle tests bench
	$(BIN)/ruff format --check settle tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# Every figure of bench/*.py at the sizes issue 9 names (about half an hour on 2 cores); bench-quick: small sizes.
bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

bench-quick: $(STAMP)
	$(BIN)/python bench/import.py --invoices 50000
	$(BIN)/python bench/list_invoices.py --invoices 50000 --requests 100
	$(BIN)/python bench/pay_http.py --invoices 2000 --pgbench-seconds 10 --pgbench-scale 8
	$(BIN)/python bench/memory.py --requests 5000 --invoices 500
	$(BIN)/python bench/portal.py --requests 50

# After changing any text people read: refresh the template and the nl/da catalogs, then translate.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output --omit-header -o settle/locales/messages.pot .
	$(BIN)/pybabel update -i settle/locales/messages.pot -d settle/locales -D messages --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) settle.db settle.db-wal settle.db-shm
