# The commands the README names. `make run` and `make test` need nothing but Python 3.11+.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
STAMP_DEV := $(VENV)/.installed-dev

.PHONY: run test e2e bench bench-digest bench-inbound drills messages install install-dev lint format migrations-check seed clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_DEV): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(STAMP_DEV)

# Development server on the embedded default: SQLite, eager Celery, mail on the console.
run: export DJANGO_DEBUG ?= true
run: $(STAMP)
	$(BIN)/python manage.py compiletranslations
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Serving http://127.0.0.1:$(PORT)/"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: export DJANGO_DEBUG ?= true
test: $(STAMP_DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# The layers (README, Architecture): contracts in pyproject.toml.
	$(BIN)/lint-imports --no-cache
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python manage.py compiletranslations
	@# pytest exits 5 when it collected nothing: treat that as a failure, loudly.
	@$(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$rc

# The browser tests against the production stack (gunicorn, Celery worker and beat,
# PostgreSQL from DATABASE_URL, Redis from REDIS_URL, an SMTP receiver, Debian's Chromium).
e2e: export REQUIRE_E2E = 1
e2e: $(STAMP_DEV)
	$(BIN)/python -m pytest tests/e2e $(PYTEST_ARGS)

# The load benchmark (issue 9): a database of its own on DATABASE_URL's PostgreSQL server
# (default postgres://postgres@127.0.0.1:5432/postgres), production-size data, gunicorn as
# in docker-compose.yml, wrk. Not part of `make test`. BENCH_ARGS=--reuse keeps the data.
bench: $(STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# The digest benchmark (README, Digests at scale): on DATABASE_URL, a database of its own.
# BENCH_DIGEST_ARGS: --subscribers 20000 --posts 200
bench-digest: $(STAMP)
	$(BIN)/python bench/digest.py $(BENCH_DIGEST_ARGS)

# Received replies through the gateway's processing (README, Mail in), on DATABASE_URL.
bench-inbound: $(STAMP)
	$(BIN)/python manage.py bench_inbound $(BENCH_INBOUND_ARGS)

# The fault drills of issue 22 (README, Reliability drills): the production stack with a
# Redis server of its own, a database of its own on DATABASE_URL's server (default
# postgres://postgres@127.0.0.1:5432/postgres) behind a proxy it cuts, an SMTP receiver it
# stops; time compressed 1:20. About 7 minutes. Not part of `make test` (three of them are).
# DRILLS_ARGS: --only smtp_digest,kill_sending --strict --scale 20
drills: $(STAMP_DEV)
	$(BIN)/python -m tests.drills $(DRILLS_ARGS)

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check:
	$(BIN)/python manage.py makemigrations --check --dry-run

# Re-extract every translatable string into locale/*/LC_MESSAGES/django.po (needs GNU
# gettext's xgettext); translate, then `make test` checks nothing is left empty or fuzzy.
messages:
	$(BIN)/python manage.py makemessages --no-obsolete --no-location -l zh_Hans -l zh_Hant -l pt_BR -l es -l ru \
	  --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'artifacts/*'

seed:
	$(BIN)/python manage.py seed_demo

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
