# THB Hub — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test lint typecheck install benchmark clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Create the venv, set up the embedded database with the bundled real data, serve the app.
run: $(STAMP)
	$(BIN)/thbhub init --sample
	$(BIN)/thbhub users ensure-admin --url http://$(HOST):$(PORT)
	$(BIN)/thbhub users ensure-demo --url http://$(HOST):$(PORT)
	$(BIN)/thbhub serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

typecheck: $(STAMP)
	$(BIN)/mypy

## Lint, type-check, then the whole suite on SQLite and a throwaway PostgreSQL.
test: $(STAMP) lint typecheck
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

benchmark: $(STAMP)
	$(BIN)/python scripts/with_postgres.py -- $(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
