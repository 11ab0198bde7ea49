.DEFAULT_GOAL := help
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
FUZZ_SECONDS ?= 60

.PHONY: help install run serve test lint migrate bench fuzz

help: ## Show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed ## Make .venv and install the pinned requirements

migrate: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py createcachetable

run: migrate ## Serve http://localhost:$(PORT) with a demo user and a staff user
	@echo "Log in at http://localhost:$(PORT)/accounts/login/ with:"
	@$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver localhost:$(PORT)

serve: migrate ## Serve as in production: collectstatic, then gunicorn on :$(PORT)
	$(BIN)/python manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(BIN)/gunicorn authsite.wsgi

test: install ## Run the whole test suite
	$(BIN)/python -m pytest

fuzz: install ## Fuzz the token path for FUZZ_SECONDS (60); crashes go to .fuzz/crashes/
	FUZZ_SECONDS=$(FUZZ_SECONDS) $(BIN)/python -m tests.fuzz.fuzz_tokens

lint: install ## Check style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

bench: install ## Measure what authentication costs; write docs/BENCHMARKS.md
	$(BIN)/python -m bench
