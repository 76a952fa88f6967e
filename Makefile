# Vernissage: `make run` serves the site, `make test` checks it, `make bench` measures it.
# Both set themselves up on a fresh machine: a virtual environment in .venv, filled
# from the pinned requirements (torch first, from the local CPU wheel).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8000
BIND ?= 127.0.0.1
# honcho gives each process its own PORT (web's, +100, +200...); WEB_PORT is the web server's for all of them.
WEB_PORT = $(PORT)
export PORT BIND WEB_PORT

.PHONY: run test lint bench image install install-dev clean-var

run: $(VENV)/.installed
	@$(PY) -m config.preflight
	$(PY) manage.py migrate --noinput
	$(PY) manage.py createcachetable
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py seed_demo
	$(PY) -m inference build-tiny $${INFERENCE_TINY_PATH:-$${VAR_DIR:-var}/models/tiny-wan}
	exec $(VENV)/bin/honcho --no-colour start --procfile Procfile --port $(PORT)

# Two processes (pytest-xdist), each with a test database and a Redis database of its own;
# PYTEST_WORKERS=0 runs the suite in this one.
PYTEST_WORKERS ?= 2

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -n $(PYTEST_WORKERS) --durations=15 $(PYTEST_ARGS)

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .

bench: $(VENV)/.installed-dev
	$(PY) bench/run_all.py

# The container image (Containerfile), built with buildah on a Debian base made here: localhost/vernissage:dev.
image:
	deploy/build-image.sh

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# torch==2.13.0 comes from the local CPU wheel; installing it first means nothing
# later can pull a CUDA build.
$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

clean-var:
	rm -rf var
