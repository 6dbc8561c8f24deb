# One Makefile that local use and CI share.
#   make demo   set up, then solve the Manchester scenario on embedded defaults
#   make test   set up, then run the whole test suite (what CI runs)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/totalplace solve scenarios/manchester.json --output out/manchester-result.json

test: setup
	$(BIN)/ruff check optimizer api tests benchmarks
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check optimizer api tests benchmarks

bench: setup
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
