# Daily commands. `make run` and `make test` work on a fresh machine with Python 3.11+.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
MANAGE := $(BIN)/python manage.py
# `make run` uses nothing but this machine: no database server, no broker.
EMBEDDED := env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=1 SITE_URL=$${SITE_URL:-http://127.0.0.1:$(PORT)}

.PHONY: install run stack test faults test-sqlite lint audit bench messages screenshots clean

install: $(VENV)/.installed .env

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# A local secret key of this checkout's own, never committed (see .env.example).
.env:
	@echo "DJANGO_SECRET_KEY=$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')" > $@
	@echo "created .env with a new local DJANGO_SECRET_KEY"

run: install
	$(EMBEDDED) $(MANAGE) migrate --noinput
	$(EMBEDDED) $(MANAGE) seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C to stop)"
	$(EMBEDDED) $(MANAGE) runserver 127.0.0.1:$(PORT)

stack: install
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "make stack needs DATABASE_URL and REDIS_URL"; exit 2; }
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	$(MANAGE) collectstatic --noinput --verbosity 0
	trap 'kill 0' INT TERM EXIT; \
	DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/celery -A platform_gov worker -Q routing --concurrency 1 -n routing@%h -l INFO & \
	DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/celery -A platform_gov worker -Q notifications,webhooks,default,sweeps --concurrency 2 -l INFO & \
	DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/celery -A platform_gov worker -Q hot --concurrency 1 -n hot@%h -l INFO & \
	DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/celery -A platform_gov beat -l INFO --schedule $(VENV)/celerybeat-schedule & \
	DJANGO_SECURE_SSL_REDIRECT=0 $(BIN)/gunicorn platform_gov.wsgi:application --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile - & \
	wait

# The suite on TEST_PROCESSES processes (pytest-xdist): each its own test database, Redis
# database, Celery worker and Chromium. 0 runs it in this one process.
TEST_PROCESSES ?= 2

test: install
	$(BIN)/python -m pytest -n $(TEST_PROCESSES)

faults: install
	$(BIN)/python -m pytest -q -m faults

# The same suite on SQLite, without the services (what a laptop without them runs).
test-sqlite: install
	env -u DATABASE_URL -u REDIS_URL -u REQUIRE_SERVICES $(BIN)/python -m pytest -n $(TEST_PROCESSES) -m "not services and not worker"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(MANAGE) makemigrations --check --dry-run

# bandit (high severity) on our code and pip-audit on the installed packages; fails when
# pip-audit cannot reach its vulnerability service. Ignores: .ci/pip-audit-ignore.txt.
audit: install
	bash .ci/audit.sh

bench: install
	$(BIN)/python -m bench.routing
	$(BIN)/python -m bench.queue
	$(BIN)/python -m bench.http

# Every page, in Chinese and English, on a desktop and a 390 px phone, into screenshots/ (not
# committed). Needs PostgreSQL (DATABASE_URL; the browser tests use a live server) and Chromium.
screenshots: install
	@test -n "$$DATABASE_URL" || { echo "make screenshots needs DATABASE_URL (PostgreSQL)"; exit 2; }
	rm -rf screenshots
	SCREENSHOTS_DIR=$(CURDIR)/screenshots $(BIN)/python -m pytest -q -p no:cacheprovider tests/browser/test_screenshots.py
	@echo "Screenshots in $(CURDIR)/screenshots/"

messages: install
	$(MANAGE) makemessages -l zh_Hans --no-location --ignore=.venv --ignore=tests --ignore=bench
	$(MANAGE) compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
