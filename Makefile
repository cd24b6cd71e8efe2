# The two commands: `make run` (set up everything and serve on SQLite) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run dev test setup db demo lint typecheck pytest bench browser-deps clean lock audit

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)

# Exactly the versions and files in requirements.lock (hashes checked), then the project itself.
# `pip check` fails when pyproject.toml asks for something the lock lacks: run `make lock`.
$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -m pip check >/dev/null || { $(BIN)/python -m pip check; \
	  echo "requirements.lock does not match pyproject.toml: run 'make lock'"; exit 1; }
	touch $@

# Re-pin after changing dependencies in pyproject.toml (pins still allowed are kept; add
# LOCK_ARGS=--upgrade to move everything to the newest allowed versions).
# Extras stay on their pins (cachecontrol[filecache]==...): pip's hash-checking mode refuses a
# dependency asked for with an extra whose pin was written without it once a newer release exists.
lock: | $(BIN)/python
	@$(BIN)/python -c 'import piptools' 2>/dev/null || $(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/python -m piptools compile --quiet --generate-hashes --allow-unsafe --no-strip-extras \
	  --extra dev --no-emit-index-url --no-emit-find-links $(LOCK_ARGS) \
	  --output-file requirements.lock pyproject.toml

# Known vulnerabilities in the locked versions; fails (exit 2) when it could not check them.
audit: setup
	$(BIN)/python .ci/audit_lock.py

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

app/static/dist/app.css: app/assets/app.scss node_modules/.installed
	npm run --silent build

setup: $(VENV)/.installed node_modules/.installed app/static/dist/app.css

instance:
	mkdir -p instance

db: setup | instance
	$(BIN)/alembic upgrade head

demo: db
	$(BIN)/flask demo load

# Links in mail and on the command line point at the address being served.
run dev demo: export BASE_URL ?= http://$(HOST):$(PORT)
# The demo publishes its register at /register (docs/register.md).
run dev: export PUBLIC_REGISTER ?= true
WORKERS ?= 2

# `make run` serves the way production does (docs/operations.md): gunicorn with its workers, and
# the reminder scheduler as its own process beside it (never inside a worker). Without SMTP_HOST
# the scheduler writes each mail to its log instead of sending it. Ctrl-C stops both quietly.
run: demo
	@echo "Serving on $(BASE_URL) (sign in at $(BASE_URL)/sign-in); Ctrl-C stops it."
	@$(BIN)/flask scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT; \
	$(BIN)/gunicorn --bind $(HOST):$(PORT) --workers $(WORKERS) --access-logfile - \
	  --graceful-timeout 5 'app.wsgi:serve()'; \
	status=$$?; case $$status in 0|130|143) exit 0;; *) exit $$status;; esac

# `make dev` keeps Flask's reloader and debugger for development (never for production).
dev: demo
	@$(BIN)/flask scheduler & sched=$$!; \
	trap 'kill $$sched 2>/dev/null; wait $$sched 2>/dev/null' EXIT; \
	$(BIN)/flask run --debug --host $(HOST) --port $(PORT); \
	status=$$?; case $$status in 0|130|143) exit 0;; *) exit $$status;; esac

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy

# Debian's Chromium drives the browser tests (Playwright cannot download its own here).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "Install Debian's chromium package (sudo apt-get install chromium) for the browser tests"; fi; }

pytest: setup browser-deps
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

bench: setup
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules app/static/dist instance/*.db
