# Two commands set up everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect
export DO_NOT_TRACK := 1

CHROMIUM := /usr/bin/chromium

.PHONY: run test lint bench snapshot lock clean

## Debian's chromium for the landing-page browser test (never `playwright install`)
$(CHROMIUM):
	SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium

$(STAMP): requirements.lock pyproject.toml
	@echo "== setting up $(VENV) from requirements.lock (the first time: a few minutes)"
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	@echo "== installing the pinned packages"
	$(BIN)/pip install --disable-pip-version-check --progress-bar on -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	@echo "== $(VENV) is ready"
	touch $(STAMP)

## the nightly pipeline on the bundled offline snapshot -> data/atlas.duckdb, public/latest
run: $(STAMP)
	$(BIN)/shg run --replay snapshots

## the whole test suite
test: $(STAMP) $(CHROMIUM)
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m bench --germany

## rebuild snapshots/ from the fixture site (served on 127.0.0.1)
snapshot: $(STAMP)
	$(BIN)/python -m tools.snapshot

## re-pin requirements.lock from pyproject.toml in a scratch environment
lock:
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/pip install --quiet -e '.[dev]'
	(echo "# Every dependency pinned; regenerate with: make lock"; \
	 build/lockenv/bin/pip freeze --exclude-editable) > requirements.lock

clean:
	rm -rf $(VENV) data public build .prefect
