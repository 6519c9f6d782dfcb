# Fresh machine: `make run` starts the service, `make test` runs the tests.
# Each creates .venv (Python 3.11) and installs what it needs.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test check venv migrate bench clean lock audit nlu-corpus nlu-model nlu-bench

# Dependencies from the pinned lock files (SECURITY.md, "Dependencies"), then the package itself.
# The Asterisk stand-in (pbxsim/) is a distribution of its own, installed beside the hotline for
# the tests, the benchmarks and the demo of `make run`; the product wheel leaves it out.
$(BIN)/hotline: pyproject.toml pbxsim/pyproject.toml requirements.lock requirements-test.lock
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements-test.lock
	$(BIN)/pip install -q --no-deps -e . -e ./pbxsim
	# Only the data of natasha (navec word vectors); its dependencies would bring pymorphy2.
	$(BIN)/pip install -q --no-deps natasha==1.6.0
	@touch $@

venv: $(BIN)/hotline

# The demo, asked for explicitly (production is the default of the service itself).
run: venv
	HOTLINE_SERVER_DEMO=true $(BIN)/hotline run

migrate: venv
	$(BIN)/hotline migrate

# As root, installs the programs the tests use first; as anyone else, tests needing a missing
# one skip and the summary says why.
test: venv
	scripts/install-test-deps
	scripts/test

# Before a commit (.pre-commit-config.yaml runs the first three): lint, types, layer contracts,
# then the fast tests (no browser, no PostgreSQL, no end-to-end service; under a minute).
FAST_TESTS := tests/flow tests/nlu tests/journal tests/training tests/asterisk_config tests/foundation
check: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q $(FAST_TESTS) -m "not slow and not postgres" -k "not postgres" \
		--ignore tests/foundation/test_types.py --ignore tests/foundation/test_layers.py

bench: venv
	$(BIN)/python bench/journal_bench.py

nlu-corpus: venv
	$(BIN)/python scripts/nlu_corpus.py

nlu-model: venv
	$(BIN)/python scripts/nlu_model.py

nlu-bench: venv
	$(BIN)/python bench/nlu_bench.py

clean:
	rm -rf $(VENV) var

# Re-pin the dependency closure after changing pyproject.toml (needs the package index).
lock: venv
	$(BIN)/python scripts/lock_deps.py

# Known vulnerabilities of the pinned runtime closure (needs pip-audit and its database online).
audit:
	pip-audit -r requirements.lock
