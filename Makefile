# gigawatt — the two commands a new user needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
DRAWS ?= 10000

.PHONY: run test lint typecheck layers bench clean lock chromium priors docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(TEST_STAMP): $(STAMP) requirements-test.lock
	$(BIN)/pip install --quiet -r requirements-test.lock
	touch $@

run: $(STAMP)
	$(BIN)/gigawatt run stargate --draws $(DRAWS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(TEST_STAMP)
	$(BIN)/mypy

layers: $(TEST_STAMP)  ## imports run one way (the contract in pyproject.toml)
	$(BIN)/lint-imports

# Browser tests drive Debian's chromium (never a Playwright download); CI runs as root on Debian.
chromium:
	@test -x /usr/bin/chromium || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)

test: $(TEST_STAMP) chromium lint typecheck layers
	$(BIN)/python -m pytest

# The shipped build priors (every scenario's default) are the fit on Epoch's timelines; refit on a new snapshot
# with `make priors TIMELINES=path/to/data_center_timelines.csv` (docs/backtest.md).
TIMELINES ?= ../shared/data/epoch/data_center_timelines_part.csv
priors: $(STAMP)
	$(BIN)/gigawatt calibrate $(TIMELINES) --as-of 2025-12-15 --force --write-priors src/gigawatt/data/priors.yaml

# The docs site (mkdocs-material + mkdocstrings) into site/, offline; the CLI and scenario-file
# references are generated from the code (docs/hooks.py).
docs: $(TEST_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

REF ?= HEAD~1
bench: $(TEST_STAMP)  ## start-up and run times now against a revision: make bench REF=<rev>
	$(BIN)/python -m benchmarks.cli_compare $(REF) --importtime

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache site

lock:  ## regenerate the pinned lock files from pyproject.toml in a scratch venv
	rm -rf /tmp/gigawatt-lock && $(PYTHON) -m venv /tmp/gigawatt-lock
	/tmp/gigawatt-lock/bin/pip install --quiet . && /tmp/gigawatt-lock/bin/pip freeze --exclude gigawatt > requirements.lock
	/tmp/gigawatt-lock/bin/pip install --quiet ".[test]" && /tmp/gigawatt-lock/bin/pip freeze --exclude gigawatt > requirements-test.lock
