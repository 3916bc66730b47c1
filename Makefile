# The two commands that matter: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint migrate demo bench install clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

## Install, migrate the embedded SQLite database, load the demo data and serve on $(HOST):$(PORT).
run: install
	$(BIN)/nexo migrate
	$(BIN)/nexo demo
	$(BIN)/nexo serve --host $(HOST) --port $(PORT)

## The whole suite on SQLite, then on PostgreSQL, then ruff and mypy.
test: install
	$(BIN)/python scripts/test_matrix.py

lint: install
	$(BIN)/ruff check src tests scripts bench sdk
	$(BIN)/ruff format --check src tests scripts bench sdk
	$(BIN)/mypy

migrate: install
	$(BIN)/nexo migrate

demo: install
	$(BIN)/nexo demo

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
