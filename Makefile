# Frontdesk — the two commands:
#   make run    install into .venv and start web + worker + clock on SQLite + embedded Redis (demo data)
#   make test   install into .venv and run the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PYTEST_ARGS ?=

.PHONY: run test install install-test browser bench messages clean

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed tests/requirements.txt
	$(PIP) install --quiet -r tests/requirements.txt
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test browser

## Debian's Chromium for the browser tests (Playwright drives it; it never downloads its own),
## with the CJK and emoji fonts the pages use.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/opentype/noto ] || [ ! -f /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ]; then \
	  echo "Installing Debian's chromium and the CJK and emoji fonts for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk fonts-noto-color-emoji >/dev/null; \
	fi

run: install
	$(VENV)/bin/flask --app wsgi dev

test: install-test
	$(PY) -m pytest -c tests/pytest.ini $(PYTEST_ARGS)

## Every bench, each figure beside its ceiling measured in the same run (PostgreSQL, Redis and wrk);
## bench/README.md explains them. The seed-scale data set is generated afresh (its time is printed).
bench: install-test
	$(PY) bench/seed_scale.py
	$(PY) bench/booking.py
	$(PY) bench/workers.py
	$(PY) bench/statements.py
	$(PY) bench/reconcile.py
	$(PY) bench/reports.py
	$(PY) bench/search.py

## Extract and update the translation catalogs of every domain, then compile them.
messages: install
	$(PY) -m app.core.i18n_tools update

clean:
	rm -rf $(VENV) instance .pytest_cache
