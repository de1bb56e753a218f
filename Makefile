# coissuer: two commands set up and run everything on a machine with Python 3.11 and pip.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint check demo bench fuzz clean

$(STAMP): requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip==25.3
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	@touch $(STAMP)

## Start the whole local stack (moto, resources, state machines, API on :8000).
run: $(STAMP)
	$(BIN)/python -m tools.local run

## Run every test offline, with the same stack in-process.
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app.py chalicelib

## Everything CI checks, as CI runs it: tests, lint, types, state machine rules, the
## packaged template through cfn-lint, the province-stage packaging test, the dependency audit.
check: $(STAMP)
	bash .ci/run

demo: $(STAMP)
	$(BIN)/python -m tools.demo

## A longer API fuzzing campaign than the one `make test` runs (docs/security.md).
fuzz: $(STAMP)
	$(BIN)/python -m tools.fuzz --examples 200

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build .local .mypy_cache .ruff_cache
