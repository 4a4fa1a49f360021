# Kakehashi: `make demo` runs the gateway with demo data; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8080
export PORT

.PHONY: demo test install-demo install-test lint openapi benchmark clean

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11+ is required ($(PYTHON) not found; set PYTHON=...)"; exit 1; }
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
