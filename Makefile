.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# The example service (examples/inventory/) beside the site.
EXAMPLE_PORT ?= 8001
FUZZ_SECONDS ?= 60
# The emailed links' parser is small: a bounded run after the token fuzzer.
FUZZ_EMAIL_SECONDS ?= 20
# The verifier's events parser (verifier/fuzz/): a bounded run last.
FUZZ_RECEIVE_SECONDS ?= 20

.PHONY: help install install-dev run serve example test lint migrate bench fuzz

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) \
		| sed 's/\$$(PORT)/$(PORT)/g; s/\$$(EXAMPLE_PORT)/$(EXAMPLE_PORT)/g' \
		| awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# What the site runs with, and on top of it what the tests and linters need:
# `make run` and `make serve` install no test tool.
$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Make .venv and install what the site runs with

install-dev: $(VENV)/.installed-dev ## Also install the test, lint and bench tools

migrate: install
	$(BIN)/python manage.py migrate --noinput

run: migrate ## Serve http://localhost:$(PORT) with a demo user and a staff user
	@echo "Log in at http://localhost:$(PORT)/accounts/login/ with:"
	@$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver localhost:$(PORT)

serve: migrate ## Serve as in production: collectstatic, then gunicorn on :$(PORT)
	$(BIN)/python manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(BIN)/gunicorn authsite.wsgi

# The verifier is imported from verifier/ (PYTHONPATH), not installed, so
# that it runs as it stands in the working tree.
example: install ## Serve the example service on :$(EXAMPLE_PORT) (AUTHSITE_URL, INVENTORY_CLIENT_ID, ...)
	cd examples/inventory && PYTHONPATH=$(CURDIR)/verifier \
		$(CURDIR)/$(BIN)/gunicorn --bind 127.0.0.1:$(EXAMPLE_PORT) \
		--workers 2 --threads 4 inventory.wsgi

test: install-dev ## Run the whole test suite
	$(BIN)/python -m pytest

fuzz: install-dev ## Fuzz the token path (FUZZ_SECONDS), email links, the verifier's events
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m tests.fuzz.fuzz_tokens
	FUZZ_SECONDS=$(FUZZ_EMAIL_SECONDS) $(BIN)/python -m tests.fuzz.fuzz_email_links
	FUZZ_SECONDS=$(FUZZ_RECEIVE_SECONDS) $(BIN)/python verifier/fuzz/fuzz_receive.py

lint: install-dev ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install-dev ## Measure what authentication costs; write docs/BENCHMARKS.md
	$(BIN)/python -m bench
