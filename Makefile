# One Makefile that local use and CI share.
#   make demo   set up, then solve the Manchester scenario on embedded defaults
#   make test   set up, then run the whole test suite (what CI runs)
#   make reliability   the long reliability set: 10,000+ fuzzed requests, every fault three times, 10x the properties (docs/reliability.md)
#   make load   the API under locust: a local service with Redis and RQ workers, headless, prints the table (benchmarks/load)
#   make audit  the installed dependencies against the known vulnerabilities (pip-audit; .ci/audit.py)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup demo test lint bench clean reliability audit load

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: setup
	$(BIN)/totalplace solve scenarios/manchester.json --output out/manchester-result.json

test: setup
	$(BIN)/ruff check optimizer api tests benchmarks
	$(BIN)/mypy optimizer api
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check optimizer api tests benchmarks
	$(BIN)/mypy optimizer api

bench: setup
	$(BIN)/python -m benchmarks.run

reliability: setup
	TOTALPLACE_RELIABILITY=long $(BIN)/python -m pytest -q tests/test_hypothesis_core.py tests/api/test_api_hostile.py \
		tests/api/test_api_security.py tests/api/test_api_contract.py tests/api/test_api_faults.py tests/api/test_api_fuzz.py

load: setup
	$(BIN)/pip install --quiet -e '.[load]'
	$(BIN)/python -m benchmarks.load

audit: setup
	$(BIN)/python .ci/audit.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
