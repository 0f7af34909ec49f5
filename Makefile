# The task runner. A newcomer needs two targets: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
# Where `make demo` and `make serve` listen: `make demo PORT=8011` when 8000 is taken.
PORT   ?= 8000
export DJANGO_SETTINGS_MODULE ?= omnioms.settings.test
# Python's bytecode caches are written (some machines, CI's among them, set
# PYTHONDONTWRITEBYTECODE=1): without them every test worker and every process a test starts
# compiles and assertion-rewrites the same modules again, about 20 s a worker.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo serve test lint typecheck migrations-check test-sqlite test-postgres bench messages clean

$(BIN)/omnioms: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("omnioms needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	$(PYTHON) -m venv $(VENV)
	# uv resolves and installs what pip would (same versions), downloading in parallel and from
	# its cache: 28 s on a fresh clone where pip took 70 (docs/decisions.md). Unlike pip it
	# compiles the packages' bytecode only when asked.
	$(BIN)/python -m pip install --quiet 'uv>=0.9,<1'
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -e '.[dev]'
	$(BIN)/python -m omnioms.planning.tabu  # compile the tabu search kernel into Numba's cache
	@touch $@

# Charts, the Gantt chart and diagrams: npm packages pinned by package-lock.json, served locally.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund
	@touch $@

install: $(BIN)/omnioms node_modules/.package-lock.json

## Set everything up, load the demo company into the embedded SQLite database and serve it.
demo: install
	DJANGO_SETTINGS_MODULE=omnioms.settings.base $(BIN)/omnioms demo --port $(PORT)

serve: install
	DJANGO_SETTINGS_MODULE=omnioms.settings.base $(BIN)/omnioms serve --port $(PORT)

## Set everything up and run every gate: lint, types, migrations, tests on SQLite and PostgreSQL.
test: install lint typecheck migrations-check test-sqlite test-postgres

lint: install
	$(BIN)/ruff check src tests bench conftest.py
	$(BIN)/ruff format --check src tests bench conftest.py
	$(BIN)/lint-imports --no-cache
	$(BIN)/python scripts/check_messages.py

typecheck: install
	$(BIN)/mypy

migrations-check: install
	$(BIN)/python -m django makemigrations --check --dry-run

# Three workers on two cores: the SQLite suite waits on browsers and sockets often enough
# that a third worker was 25 s faster (4:08 against 4:33); four were slower (5:04).
test-sqlite: install
	$(BIN)/pytest -n 3 -q

# PostgreSQL runs when it answers; CI has it. Concurrency tests need it and skip on SQLite.
# Only the tests that touch the database run again there (conftest.py): pure ones ran once.
# Two workers: the server's own processes share the cores (three were 16 s slower).
test-postgres: install
	@if $(BIN)/python scripts/db_answers.py "$(PG_URL)"; then \
		echo "== PostgreSQL at $(PG_URL)"; \
		DATABASE_URL="$(PG_URL)" OMNIOMS_DB_TESTS_ONLY=1 $(BIN)/pytest -n 2 -q -m "not browser"; \
	else \
		echo "== PostgreSQL does not answer at $(PG_URL): skipping the PostgreSQL run"; \
	fi

bench: install
	$(BIN)/python bench/intake.py

messages: install
	cd src/omnioms && ../../$(BIN)/python -m django makemessages -l zh_Hans --ignore=tests && \
		../../$(BIN)/python -m django compilemessages

clean:
	rm -rf $(VENV) var node_modules .pytest_cache .mypy_cache .ruff_cache
