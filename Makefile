# rfdesign: `make demo` and `make test` work on a fresh Debian/Ubuntu machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
export MPLBACKEND := Agg
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup demo test test-all bench lint schema clean

setup:  ## Install what is missing (Debian openEMS/Meep, venv, project); idempotent
	@bash scripts/setup.sh

demo: setup  ## Design the example band-pass filter (surrogate search + openEMS verification)
	@bash scripts/demo.sh

test: setup  ## Run the test suite (slow physics tests included, cluster-sized ones not)
	$(PY) -m pytest -q --durations=20

test-all: setup  ## Also run the opt-in checks (cluster-sized and several-minute ones)
	$(PY) -m pytest -q -m "cluster or long or not (cluster or long)"

bench: setup  ## Benchmarks (all, or BENCH="openems circuit"); tables in benchmarks/results/
	$(PY) benchmarks/run.py $(BENCH)

lint: setup
	$(VENV)/bin/ruff check .

schema: setup  ## Regenerate the committed JSON schema of spec files
	$(VENV)/bin/rfdesign schema > tests/schemas/filter_spec.schema.json

clean:
	rm -rf demo_out out .pytest_cache .ruff_cache
