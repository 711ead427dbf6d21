# Settle: `make run` serves the portal with demo data on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export SETTLE_DATABASE_URL ?= sqlite:///settle.db

.PHONY: run test lint typecheck check bench clean catalogs

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

test: $(STAMP)
	$(BIN)/ruff check settle tests bench
	$(BIN)/ruff format --check settle tests bench
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check settle tests bench
	$(BIN)/ruff format --check settle tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# After changing any text people read: refresh the template and the nl/da catalogs, then translate.
catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k _ --no-location --sort-output --omit-header -o settle/locales/messages.pot .
	$(BIN)/pybabel update -i settle/locales/messages.pot -d settle/locales -D messages --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) settle.db settle.db-wal settle.db-shm
