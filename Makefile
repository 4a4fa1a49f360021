# Kakehashi: `make demo` runs the gateway with demo data; `make test` runs the whole suite.
# The first of these found; any Python 3.11 or newer works (PYTHON=/path/to/python to choose).
PYTHON ?= $(shell for candidate in python3.11 python3.12 python3.13 python3.14 python3; do \
	command -v $$candidate >/dev/null 2>&1 && { echo $$candidate; break; }; done)
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
export PORT

.PHONY: demo test install-demo install-test lint openapi benchmark clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || \
		{ echo "Kakehashi needs Python 3.11 or newer (found: '$(PYTHON)'); set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamp files make the installs idempotent: pip runs again only when pyproject.toml changes.
$(VENV)/.installed-demo: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[embedded]"
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,embedded]"
	touch $@

install-demo: $(VENV)/.installed-demo
install-test: $(VENV)/.installed-test

# The gateway answers at once; the demo data loads in the background the first time.
demo: install-demo
	exec $(BIN)/kakehashi serve --demo --port $(PORT)

test: install-test
	$(BIN)/python -m pytest -n 2 -q

lint: install-test
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

openapi: install-test
	$(BIN)/kakehashi openapi write

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache

# On demand, not part of `make test`: writes benchmarks/results/*.json.
benchmark: install-test
	$(BIN)/python benchmarks/lrs_ingest_query.py
