# Two commands for a newcomer: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test check lint typecheck install clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/orchestra db upgrade
	$(BIN)/orchestra demo --if-empty
	$(BIN)/orchestra token create --kind admin --name "make serve" --scopes all
	@echo 'GraphiQL: http://127.0.0.1:8000/graphql  (header: {"Authorization": "Bearer <the secret above>"})'
	$(BIN)/orchestra serve

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

check: test

bench: $(STAMP)
	$(BIN)/python bench/products.py
	$(BIN)/python bench/atp.py

clean:
	rm -rf $(VENV) orchestra.db *.egg-info
