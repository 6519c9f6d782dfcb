# Fresh machine: `make run` starts the service, `make test` runs the tests.
# Each creates .venv (Python 3.11) and installs what it needs.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test venv migrate bench clean nlu-corpus nlu-model nlu-bench

$(BIN)/hotline: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	# Only the data of natasha (navec word vectors); its dependencies would bring pymorphy2.
	$(BIN)/pip install -q --no-deps natasha==1.6.0
	@touch $@

venv: $(BIN)/hotline

run: venv
	$(BIN)/hotline run

migrate: venv
	$(BIN)/hotline migrate

test: venv
	scripts/test

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
