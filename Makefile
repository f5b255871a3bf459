# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000

.PHONY: run test system browser-system setup bench lint

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# The test tools on top: pytest, Hypothesis, Playwright, aiosmtpd, ruff.
$(BIN)/.installed-test: $(BIN)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

system:
	bash scripts/setup-system.sh

browser-system:
	bash scripts/setup-system.sh --browser

setup: system $(BIN)/.installed
	$(BIN)/flask --app wsgi setup

run: setup
	$(BIN)/flask --app wsgi run --port $(PORT)

test: browser-system $(BIN)/.installed-test
	$(BIN)/python -m pytest -p no:cacheprovider

bench: browser-system setup $(BIN)/.installed-test
	$(BIN)/python bench/run_all.py

lint: $(BIN)/.installed-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
