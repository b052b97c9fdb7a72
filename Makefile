# The few verbs a newcomer needs. Everything installs into .venv on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

export SPARK_LOCAL_IP ?= 127.0.0.1
export OPENBLAS_NUM_THREADS ?= 1

.PHONY: install run test lint typecheck bench docs clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,spark]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## run: build the demo store in ./shopscope-data (with one demo user per role, passwords printed),
##      print its status, summary and business report, write the report as one offline HTML file
##      (shopscope-data/report.html), then serve the dashboard on http://127.0.0.1:8000
run: install
	$(BIN)/shopscope demo --size small --seed 42
	$(BIN)/shopscope report
	$(BIN)/shopscope report --format html --output shopscope-data/report.html
	$(BIN)/shopscope serve

## test: ruff, mypy and the whole test suite (Spark parity included)
test: install lint typecheck
	$(BIN)/python -m pytest -q -p no:cacheprovider

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: install
	$(BIN)/mypy

## bench: run every benchmark and print ratios against its peer
bench: install
	$(BIN)/python -m benchmarks

## docs: regenerate the generated reference docs
docs: install
	$(BIN)/shopscope docs

clean:
	rm -rf $(VENV) shopscope-data .mypy_cache .ruff_cache .pytest_cache
