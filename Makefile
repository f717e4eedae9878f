# The README's commands. Every install step lives here, so a clean clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 5000
DEMO_MONTHS ?= 36

.PHONY: install demo test lint format docs clean airflow airflow-stop bench bench-small bench-day bench-soak bench-ducklake bench-scale secrets

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

demo: install
	$(BIN)/loyalty generate --out data/landing --customers $(DEMO_CUSTOMERS) --months $(DEMO_MONTHS) --seed 7
	$(BIN)/loyalty run --landing data/landing --warehouse data/warehouse.duckdb

test: install
	./scripts/ensure-system-packages
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

docs: install
	$(BIN)/loyalty docs --out docs

clean:
	rm -rf data .pytest_cache .ruff_cache

airflow: install
	./scripts/airflow-standalone

airflow-stop:
	./scripts/airflow-stop

bench: install
	$(BIN)/python -m benchmarks

bench-small: install
	$(BIN)/python -m benchmarks --small

# The realistic day's build step by step and model by model, three runs on copies of one full build.
bench-day: install
	$(BIN)/python -m benchmarks.day_profile

# 100k, 300k and 1M customers; each stage's growth against its rows, and a chart.
bench-scale: install
	$(BIN)/python -m benchmarks.scale

# File and DuckLake side by side (catalog in the local PostgreSQL); BENCH_SIZE=--small for 20,000 customers.
BENCH_SIZE ?=
bench-ducklake: install
	$(BIN)/python -m benchmarks.backends $(BENCH_SIZE)

# The held-back day as 200 deliveries in a row: does the file level off? BENCH_SIZE=--small too.
bench-soak: install
	$(BIN)/python -m benchmarks.soak $(BENCH_SIZE)

secrets:
	./scripts/write-secrets
