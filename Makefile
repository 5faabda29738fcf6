# Two commands do everything on a fresh clone: `make demo` and `make test`.
# Every target is idempotent: an environment is rebuilt only when its lock file changed,
# the model is retrained only when its inputs changed (see bot/training.py).
SHELL := /bin/bash
export RASA_TELEMETRY_ENABLED := false
.DEFAULT_GOAL := help

# Our code runs on a supported Python (3.11+); Rasa 3.6.21 needs 3.10 (README: "Two environments").
PYTHON ?= python3
PYTHON310 ?= $(shell p="$$(pyenv root 2>/dev/null)/versions/3.10.13/bin/python"; \
	if [ -x "$$p" ]; then echo "$$p"; else command -v python3.10; fi)

VENV := .venv
RASA_VENV := .venv-rasa
APP_READY := $(VENV)/.installed
RASA_READY := $(RASA_VENV)/.installed
PY := $(VENV)/bin/python

.PHONY: help install model demo test lint validate clean eval langid-bench channel-bench browser catalogs phrases servers stack bench

help:
	@echo "make demo   - install what is missing, load content, train if needed, run everything"
	@echo "make test   - install what is missing and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make eval   - compare NLU pipelines on the held-out set, write docs/nlu-report.md"

$(APP_READY): requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

$(RASA_READY): requirements-rasa.txt
	@test -n "$(PYTHON310)" || { echo "Python 3.10 is required for Rasa 3.6.21 (set PYTHON310=...)"; exit 1; }
	test -x $(RASA_VENV)/bin/python || $(PYTHON310) -m venv $(RASA_VENV)
	$(RASA_VENV)/bin/python -m pip install --quiet pip==24.0
	$(RASA_VENV)/bin/python -m pip install --quiet -r requirements-rasa.txt
	touch $@

install: $(APP_READY) $(RASA_READY)

model: install
	$(PY) -m bot places export-nlu nlu_data/lookups/country.yml
	$(PY) -m bot train

validate: install
	$(RASA_VENV)/bin/rasa data validate --data nlu_data --domain domain.yml --config config.yml

lint: $(APP_READY)
	$(VENV)/bin/ruff check bot actions rasa_addons scripts tests bench
	$(VENV)/bin/ruff format --check bot actions rasa_addons scripts tests bench

demo: model
	$(PY) -m bot demo

# The production shape on one machine (bot/run_stack.py): PostgreSQL and Redis with their data
# in var/stack/, migrations, 2 Rasa instances, the action server, 3 gateway workers; `ready`.
stack: model servers
	$(PY) -m bot stack

# The workspace's own words: extract every string of bot/workspace into the catalogs of
# translations/admin/ (new strings arrive empty, changed ones fuzzy), then translate them there.
catalogs: $(APP_READY)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k gettext -k ngettext:1,2 --no-location \
	  --sort-output --omit-header -o translations/admin/messages.pot .
	for lang in fr es ht; do \
	  if [ -f translations/admin/$$lang.po ]; then \
	    $(VENV)/bin/pybabel update --no-wrap -i translations/admin/messages.pot -l $$lang -o translations/admin/$$lang.po; \
	  else \
	    $(VENV)/bin/pybabel init --no-wrap -i translations/admin/messages.pot -l $$lang -o translations/admin/$$lang.po; \
	  fi; \
	done

# The assistant's own phrases (translations/<lang>.po) with Babel: the template phrases.pot from
# the English catalog, every language merged with it (new phrases empty, changed English marked
# fuzzy "outdated"), then checked and compiled to var/phrases/ (bot/phrase_catalogs.py).
phrases: $(APP_READY)
	$(PY) -m bot phrases update
	$(PY) -m bot phrases compile

# The browser tests drive Debian's Chromium through Playwright (`playwright install` downloads
# a browser build, which this project's machines cannot): installed once, as root or with sudo.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

# PostgreSQL and Redis from Debian's packages, for the tests that run the store, the queues and
# the locks against real servers and for `make stack`. Only installed here: bot/servers.py starts
# them on local ports with their data under var/ (never as a system service).
servers:
	@{ [ -x /usr/lib/postgresql/15/bin/postgres ] && command -v redis-server >/dev/null; } || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq \
	    postgresql-15 redis-server; }

# Two test processes (pytest-xdist), a whole file to each at a time: a file's real stack (Rasa,
# action server, gateway) starts once, in one process. The slowest tests are listed at the end.
test: lint validate model browser servers
	$(PY) -m pytest -n 2 --dist loadfile --durations=25

# Train every candidate pipeline, evaluate on the held-out set, write docs/nlu-report.md.
eval: install
	$(PY) scripts/nlu_eval.py

clean:
	rm -rf $(VENV) $(RASA_VENV) models var .pytest_cache

langid-bench: $(APP_READY)
	$(PY) -m pip install --quiet -r requirements-eval.txt
	$(PY) scripts/langid_benchmark.py

# Load and fault bench (bench/load.py), appended to docs/benchmarks.md: the stack under faults,
# then the latency comparison with Rasa alone on the stack and on the embedded default.
bench: model servers
	$(PY) -m bench.load --target stack --people 200 --spread 120 --fail-share 0.1 --kill
	$(PY) -m bench.load --target stack --people 200 --spread 120
	$(PY) -m bench.load --target embedded --people 200 --spread 120

# WhatsApp webhook latency and throughput against the real stack: docs/channels-benchmark.md.
channel-bench: model
	$(PY) scripts/channel_bench.py
