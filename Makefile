# Inecopay merchant portal. `make run` serves the demo, `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
# Pango and its HarfBuzz subsetter are WeasyPrint's system libraries.
PDF_LIBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core

.DEFAULT_GOAL := help
.PHONY: help install system-deps run test lint fmt security bench messages check-deploy clean

help:
	@echo "make run      serve the portal on http://$(HOST):$(PORT)/ with a Celery worker and beat"
	@echo "make test     run the whole test suite (PostgreSQL/Redis when DATABASE_URL/REDIS_URL are set)"
	@echo "make lint     ruff check and format check"
	@echo "make fmt      ruff format and fix"
	@echo "make security bandit (fails on medium/high findings) and pip-audit (advisory)"
	@echo "make bench    benchmarks; results go to docs/PERFORMANCE.md by hand"
	@echo "make messages extract and compile the translation catalogs"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Reinstalls only when the lock file changes.
$(VENV)/.installed: requirements/dev.txt | $(PY)
	$(BIN)/pip install -q -r requirements/dev.txt
	@touch $@

install: $(VENV)/.installed system-deps

system-deps:
	@missing=""; \
	for lib in libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0; do \
	  ldconfig -p 2>/dev/null | grep -q "$$lib" || missing="$$missing $$lib"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing WeasyPrint's system libraries:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_LIBS) >/dev/null; \
	  else \
	    echo "WeasyPrint needs system packages; install them and run make again: $(PDF_LIBS)" >&2; exit 1; \
	  fi; \
	fi

run: export DEBUG := 1
run: export SITE_URL := http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py seed_demo
	PATH="$(CURDIR)/$(BIN):$$PATH" HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho -f Procfile.dev start

test: install
	$(BIN)/pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: $(VENV)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Bandit fails the target on a medium or high finding not justified inline (`# nosec BXXX  #
# reason`). pip-audit only advises: it never fails the target,
# and says so when the advisory database cannot be reached.
security: $(VENV)/.installed
	$(BIN)/bandit -c pyproject.toml -r . -q --severity-level medium
	@mkdir -p var; \
	$(BIN)/pip-audit -r requirements/base.txt --disable-pip --no-deps --progress-spinner off \
	  --timeout 15 >var/pip-audit.txt 2>&1; status=$$?; \
	if grep -q "could not be audited\|ConnectionError\|Max retries" var/pip-audit.txt; then \
	  echo "pip-audit: the advisory database is not reachable (no network?): dependencies NOT audited (advisory only)"; \
	else \
	  cat var/pip-audit.txt; \
	  [ $$status -eq 0 ] || echo "pip-audit: known vulnerabilities above (advisory only, not failing)"; \
	fi

bench: install
	$(PY) -m benchmarks $(BENCH)

messages: $(VENV)/.installed
	DEBUG=1 $(PY) manage.py makemessages -l ru -l en --ignore=.venv --ignore=var --ignore=static/vendor --ignore=node_modules
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv

check-deploy: $(VENV)/.installed
	DEBUG=0 SECRET_KEY=$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(64))') \
	  ALLOWED_HOSTS=portal.example.com $(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/celery var/cache var/staticfiles
