# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up first:
# .venv from pyproject.toml, node tools from package-lock.json, the compiler, brownie's network.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(BIN):$(PATH)
export SOLCX_BINARY_PATH ?= $(CURDIR)/.solcx
PYTEST_ARGS ?=

.PHONY: setup chromium test test-contracts test-python demo bench clean

setup: $(VENV)/.installed node_modules/.installed .solcx/.ready chromium .venv-fuzz/bin/schemathesis

## schemathesis in its own venv (it needs a newer hypothesis than eth-brownie pins): the API fuzz test runs it.
.venv-fuzz/bin/schemathesis: scripts/toolchain/fuzz_venv.sh
	PYTHON=$(PYTHON) bash scripts/toolchain/fuzz_venv.sh .venv-fuzz

## Debian chromium for page tests and PDFs (installed when missing and root; otherwise those tests skip, saying why).
chromium:
	@bash scripts/toolchain/chromium.sh

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

.solcx/.ready: $(VENV)/.installed node_modules/.installed scripts/toolchain/setup_toolchain.py scripts/toolchain/solc-standard-json.js
	$(BIN)/python scripts/toolchain/setup_toolchain.py
	touch $@

## The whole suite: contract tests under brownie (it launches its own anvil), then the rest.
test: setup test-contracts test-python

test-contracts: setup
	$(BIN)/brownie test tests/contracts --network zcl-anvil-test $(PYTEST_ARGS)

test-python: setup
	$(BIN)/python -m pytest tests --ignore=tests/contracts -p no:pytest-brownie $(PYTEST_ARGS)

demo: setup
	$(BIN)/python -m scripts.demo $(DEMO_ARGS)

## Benchmarks: the ledger path, the oracle protocols, the accounting year, the dashboard, the indexer, credit gas
## (tables on screen, JSON in bench/results/).
bench: setup
	$(BIN)/python -m scripts.bench.run
	$(BIN)/python -m scripts.bench.oracles_run
	$(BIN)/python -m scripts.bench.accounting_run $(ACCOUNTING_BENCH_ARGS)
	$(BIN)/python -m scripts.bench.dashboard
	$(BIN)/python -m scripts.bench.indexer
	$(BIN)/python -m scripts.bench.credits
	$(BIN)/python -m scripts.bench.api

clean:
	rm -rf build .zcl bench/results/*.json
