# One Makefile that local use and CI share.
#   make demo   set up, then solve the Manchester scenario on embedded defaults
#   make test   set up (and Debian's Chromium for tests/browser), then run the whole test suite (what CI runs)
#   make reliability   the long reliability set: 10,000+ fuzzed requests, every fault three times, 10x the properties (docs/reliability.md)
#   make load   the API under locust: a local service with Redis and RQ workers, headless, prints the table (benchmarks/load)
#   make load-open   repeated identical solves at a fixed arrival rate (hey -q), 2 API processes, defaults (benchmarks/load_open.py)
#   make data/rebuild   re-derive optimizer/place/data/ from the public data in ../shared/data (SHARED_DATA=...), byte for byte
#   make audit  the installed dependencies against the known vulnerabilities (pip-audit; .ci/audit.py)
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: chromium setup demo test lint bench clean reliability audit load load-open constraints data/rebuild

SHARED_DATA ?= ../shared/data

setup: $(STAMP)

# everything (core, service, cross-check solvers, Parquet, test tools), pinned by constraints.txt
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip setuptools
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

# refresh the pins: the newest releases that satisfy pyproject.toml, written to constraints.txt (then: make test)
constraints:
	rm -rf .venv-pins && $(PYTHON) -m venv .venv-pins && .venv-pins/bin/pip install --quiet --upgrade pip setuptools
	.venv-pins/bin/pip install --quiet -e '.[dev]'
	{ sed -n '1,2p' constraints.txt; .venv-pins/bin/pip freeze --exclude-editable | grep -vi '^totalplace'; } > constraints.txt.new
	mv constraints.txt.new constraints.txt && rm -rf .venv-pins

# the shipped data files (optimizer/place/data/) from the public sources; tests/test_data_rebuild.py checks they match
data/rebuild: setup
	$(BIN)/python -m optimizer.place.data.rebuild $(SHARED_DATA) optimizer/place/data

demo: setup
	$(BIN)/totalplace solve scenarios/manchester.json --output out/manchester-result.json
	@echo "The boards' page: $(BIN)/totalplace keys create --tenant demo-board   (the key is the last line), then"
	@echo "  $(BIN)/totalplace serve   and open http://127.0.0.1:8000/ , sign in with the key, upload scenarios/tight/manchester_tight.json"
	@echo "  (or build a scenario for a place), and press Solve"

# the browser tests (tests/browser) need Debian's Chromium: apt-get install -y chromium (they skip without it, fail under CI=true)
chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && apt-get install -y -qq chromium) || \
		(echo "no Chromium: the browser tests will skip (install it: apt-get install -y chromium)"; test "$$CI" != true)

test: setup chromium
	$(BIN)/ruff check optimizer api tests benchmarks
	$(BIN)/ruff format --check optimizer api tests benchmarks
	$(BIN)/mypy optimizer api
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check optimizer api tests benchmarks
	$(BIN)/ruff format --check optimizer api tests benchmarks
	$(BIN)/mypy optimizer api

bench: setup
	$(BIN)/python -m benchmarks.run

reliability: setup
	TOTALPLACE_RELIABILITY=long $(BIN)/python -m pytest -q tests/test_hypothesis_core.py tests/api/test_api_hostile.py \
		tests/api/test_api_security.py tests/api/test_api_contract.py tests/api/test_api_faults.py tests/api/test_api_fuzz.py

load: setup
	$(BIN)/pip install --quiet -c constraints.txt -e '.[load]'
	$(BIN)/python -m benchmarks.load

load-open: setup
	$(BIN)/python -m benchmarks.load_open

audit: setup
	$(BIN)/python .ci/audit.py

clean:
	rm -rf $(VENV) out .pytest_cache .hypothesis
