# socalign: one-command set-up. `make book` builds the book (demo profile, CPU, offline);
# `make test` runs the test suite. Both create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
# torch 2.13.0: on the project's CPU machines pip takes a local CPU wheel; elsewhere PyPI's build.
TORCH_SPEC ?= torch==2.13.0
BIN := $(VENV)/bin
STAMP := $(VENV)/.socalign-installed

.PHONY: install book test lint bench clean-book

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_SPEC)
	$(BIN)/python -m pip install --quiet -e ".[all]"
	touch $(STAMP)

install: $(STAMP)

book: $(STAMP)
	$(BIN)/socalign book --profile demo

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	for script in benchmarks/*.py; do $(BIN)/python $$script || exit 1; done
