# Every target bootstraps .venv from nothing but python3 and PyPI, and records what it installed
# in a stamp file, so a second run installs nothing. Editing pyproject.toml re-runs the installs.
#
#   make demo    the example app on the embedded database (or on $MONGODB_URI if set)
#   make serve   the FastAPI blog example under uvicorn, on the same database (SERVE_PORT=8000)
#   make test    the whole suite: mongomock, nx-27017 via PyMongo and via Motor (started by the
#                test fixture), then a benchmark smoke run on nx-27017 and on the fast server
#   make lint    ruff, ruff format --check, mypy --strict, typing tests, import layers
#   make bench   the benchmarks against the other ODMs (BENCH_ARGS='--server fast|both')
#   make docs    build the documentation site into site/ (mkdocs --strict: a broken link, a
#                missing reference or a docstring warning fails it); make docs-serve serves it
#   make docs-test  execute the documentation's examples (also part of make test)
#   make clean   caches and build output (make distclean also removes .venv)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
PIP := $(PY) -m pip --disable-pip-version-check --quiet

PYTEST_ARGS ?=
PYTEST := $(PY) -m pytest -p no:cacheprovider -q
BENCH_N ?= 200
BENCH_ARGS ?=
# make bench runs in a venv of its own: the peers it measures never enter .venv.
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
DEMO_URI := $(or $(MONGODB_URI),mongomock://localhost/asyncodm_demo)
LINT_PATHS := $(wildcard asyncodm tests benchmarks examples)

.DEFAULT_GOAL := test
.PHONY: demo serve test chromium bench-smoke lint format bench docs docs-serve docs-test clean distclean

$(PY):
	$(PYTHON) -m venv $(VENV)

# One stamp per set of extras; each is re-made when pyproject.toml changes.
$(VENV)/.stamp-%: pyproject.toml | $(PY)
	$(PIP) install -e '.[$(EXTRAS_$*)]'
	@touch $@

EXTRAS_demo := mock,motor
EXTRAS_serve := mock,motor,serve
EXTRAS_test := mock,motor,test
EXTRAS_lint := mock,motor,test,dev
EXTRAS_bench := mock,motor,test,bench
# The API reference imports nothing, but the examples (docs-test) and mkdocstrings' view of
# the optional modules want the same packages the suite has.
EXTRAS_docs := mock,motor,test,docs

demo: $(VENV)/.stamp-demo
	@test -f examples/demo.py || { echo "examples/demo.py is not written yet"; exit 1; }
	MONGODB_URI='$(DEMO_URI)' $(PY) -m examples.demo

SERVE_PORT ?= 8000
serve: $(VENV)/.stamp-serve
	MONGODB_URI='$(DEMO_URI)' $(BIN)/uvicorn examples.fastapi_app:app --port $(SERVE_PORT)

# The admin's browser tests drive Debian's chromium (Playwright's own browser download cannot
# be used here); installed once when missing (we run as root, as CI does).
chromium:
	@command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

test: $(VENV)/.stamp-test chromium
	$(PYTEST) $(PYTEST_ARGS)
	@if [ -f benchmarks/run.py ]; then $(MAKE) --no-print-directory bench-smoke; fi

bench-smoke: $(VENV)/.stamp-test
	$(PY) -m benchmarks.run --n $(BENCH_N) --systems asyncodm,raw --quick --server both

lint: $(VENV)/.stamp-lint
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy --strict asyncodm
	@if [ -d tests/typing ]; then \
		echo "$(BIN)/mypy tests/typing" && $(BIN)/mypy tests/typing && \
		echo "$(BIN)/pyright tests/typing" && $(BIN)/pyright tests/typing; \
	fi
	$(BIN)/lint-imports --no-cache --no-logo

format: $(VENV)/.stamp-lint
	$(BIN)/ruff check --fix $(LINT_PATHS)
	$(BIN)/ruff format $(LINT_PATHS)

$(BENCH_PY):
	$(PYTHON) -m venv $(BENCH_VENV)

$(BENCH_VENV)/.stamp: pyproject.toml | $(BENCH_PY)
	$(BENCH_PY) -m pip --disable-pip-version-check --quiet install -e '.[$(EXTRAS_bench)]'
	@touch $@

bench: $(BENCH_VENV)/.stamp
	@test -f benchmarks/run.py || { echo "benchmarks/run.py is not written yet"; exit 1; }
	$(BENCH_PY) -m benchmarks.run $(BENCH_ARGS)

# NO_MKDOCS_2_WARNING: mkdocs-material prints a banner about its successor on every build,
# which is not a warning about this site.
docs: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

DOCS_PORT ?= 8001
docs-serve: $(VENV)/.stamp-docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr 127.0.0.1:$(DOCS_PORT)

docs-test: $(VENV)/.stamp-test
	$(PYTEST) tests/test_docs.py $(PYTEST_ARGS)

clean:
	rm -rf build dist site *.egg-info .mypy_cache .ruff_cache .pytest_cache .import_linter_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(BENCH_VENV)
