# Two commands: `make run` (zero-setup demo) and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi


.PHONY: run test typecheck fuzz install install-dev translations migrate seed worker bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

$(VENV)/.installed-fuzz: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev,fuzz]'
	touch $(VENV)/.installed $(VENV)/.installed-dev $@

install: $(VENV)/.installed translations

install-dev: $(VENV)/.installed-dev translations

translations: | $(BIN)/python
	$(BIN)/pybabel compile --use-fuzzy -d marketplace/translations

migrate: install
	$(FLASK) db upgrade

seed: migrate
	$(FLASK) seed-demo

## make run: install, migrate, seed demo data into an empty database, serve on http://127.0.0.1:$(PORT)
run: seed
	@echo "Serving on http://127.0.0.1:$(PORT)  (demo users: university@demo.local / company@demo.local / agency@demo.local / admin@demo.local, password demo12345)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

## make test: install the dev dependencies and run the whole suite (DATABASE_URL / ES_URL / REDIS_URL select real servers)
## in one process per core, at most 4 (TEST_WORKERS=0 runs it in this process)
TEST_WORKERS ?= auto
test: install-dev
	$(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses=4 $(PYTEST_ARGS)

## make typecheck: mypy as configured in pyproject.toml (strict for matching/ and marketplace/core/)
typecheck: install-dev
	$(BIN)/mypy

## make fuzz: schemathesis against the real app's OpenAPI document as each demo role (fixed seed and budget);
## fails on any server error or schema violation. FUZZ_ARGS="--examples 20" for a longer run.
fuzz: $(VENV)/.installed-fuzz translations
	$(BIN)/python -m fuzz $(FUZZ_ARGS)

worker: install
	$(FLASK) worker

bench: install-dev
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance .pytest_cache
