# ServiceLoop developer loops. `make run` and `make test` are the README's two commands.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: run install install-test system-packages test test-fast test-slow lint format messages bench dev

## Install, load the demo organisation and serve it on http://127.0.0.1:8000 (SQLite, embedded queue).
run: install
	SERVICELOOP_DEBUG=1 $(BIN)/serviceloop demo
	SERVICELOOP_DEBUG=1 $(BIN)/serviceloop serve

dev: run

install: $(BIN)/serviceloop

$(BIN)/serviceloop: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

install-test: install
	$(BIN)/pip install --quiet -e '.[test]'

## Debian packages the browser and PDF tests need (installed when we are root and they are missing).
system-packages:
	@scripts/system-packages

## Install test dependencies and run the whole default suite (SQLite unless DATABASE_URL is set).
test: install-test system-packages
	$(BIN)/python -m django compilemessages --settings serviceloop.settings_test --ignore '.venv' >/dev/null
	$(BIN)/python -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

test-fast: install-test
	$(BIN)/python -m pytest -n 2 -m "not slow and not browser" $(PYTEST_ARGS)

## Long suites with their own budget (exhaustive property tests).
test-slow: install-test
	$(BIN)/python -m pytest -m slow $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m django makemigrations --check --dry-run --settings serviceloop.settings_test

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Regenerate the translation catalogues after changing user-visible text.
messages: install-test
	cd serviceloop && ../$(BIN)/python -m django makemessages -l zh_Hans -l en --no-location --settings serviceloop.settings_test --ignore 'static/*'
	msgattrib --clear-fuzzy --empty -o serviceloop/locale/en/LC_MESSAGES/django.po serviceloop/locale/en/LC_MESSAGES/django.po
	msgen -o serviceloop/locale/en/LC_MESSAGES/django.po serviceloop/locale/en/LC_MESSAGES/django.po
	$(BIN)/python -m django compilemessages --settings serviceloop.settings_test --ignore '.venv'

bench: install-test
	$(BIN)/python bench/business_time.py
