# Two commands for a newcomer: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# graphql-http's GraphQL-over-HTTP audit runs in a test when node is installed.
AUDIT := tools/graphql-http-audit
AUDIT_STAMP := $(AUDIT)/node_modules/.installed

.PHONY: serve test check lint typecheck install clean bench audit-deps

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(AUDIT_STAMP): $(AUDIT)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix $(AUDIT) --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "node/npm not found: the GraphQL-over-HTTP audit test will be skipped"; fi

audit-deps: $(AUDIT_STAMP)

serve: $(STAMP)
	$(BIN)/orchestra db upgrade
	$(BIN)/orchestra demo --if-empty
	$(BIN)/orchestra token create --kind admin --name "make serve" --scopes all
	@echo 'In GraphiQL, paste into Headers: {"Authorization": "Bearer <the secret above>"}'
	$(BIN)/orchestra serve --host $(HOST) --port $(PORT)

test: $(STAMP) audit-deps
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

check: test

bench: $(STAMP)
	$(BIN)/python bench/products.py
	$(BIN)/python bench/atp.py

clean:
	rm -rf $(VENV) orchestra.db *.egg-info $(AUDIT)/node_modules
