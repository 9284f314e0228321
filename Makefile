# podcast-pipe: every target creates or reuses .venv on its own; no root needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PP := $(BIN)/podcast-pipe

.PHONY: install test build feed publish serve bench bench-network lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest

build: $(STAMP)
	$(PP) build

feed: $(STAMP)
	$(PP) feed

publish: $(STAMP)
	$(PP) publish

serve: $(STAMP)
	$(PP) serve

BENCH ?= quick
bench: $(STAMP)  # BENCH=quick: 10-minute programmes; BENCH=full: also 60 min and 3 h; REPEAT=3: builds each
	$(BIN)/python benchmarks/bench_build.py $(if $(filter full,$(BENCH)),--full) $(if $(REPEAT),--repeat $(REPEAT))
	$(BIN)/python benchmarks/bench_check.py $(if $(filter full,$(BENCH)),--minutes 60,--minutes 10)

bench-network: $(STAMP)
	$(BIN)/python benchmarks/bench_network.py

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf build public .pytest_cache
