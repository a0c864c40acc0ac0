# The two commands of the README: `make run` and `make test`. Nothing else is needed on a
# fresh machine but Python 3.10+ (and network access to PyPI for the first install).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test bench lint format clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_examples
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve --port $(PORT)

test: install
	$(PY) -m pytest

# Benchmarks (not part of `make test`): quick by default, BENCH=full for the long profile.
# Results go to docs/performance.md.
bench: install
	$(PY) bench/scheduler.py $(if $(filter full,$(BENCH)),--full,--quick)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
