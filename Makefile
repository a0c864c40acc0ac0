# The two commands of the README: `make run` and `make test`. Nothing else is needed on a
# fresh machine but Python 3.10+ (and network access to PyPI for the first install).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test screenshots bench lint format clean assets

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# serve reads PORT (default 8000), HOST and WEB_WORKERS from the environment or .env, like
# every setting: `PORT=9000 make run`, `make run PORT=9000` and PORT=9000 in .env all work.
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_examples
	$(PY) manage.py ensure_admin
	$(PY) manage.py serve

test: install
	$(PY) -m pytest

# The docs' pictures of the admin (docs/screenshots/, committed): the browser tests marked
# `screenshots` (tests/browser/test_docs_screenshots.py, test_data_types_admin.py,
# test_things_csv_admin.py), which
# also write there when UPDATE_SCREENSHOTS=1. Needs Chromium (tests/browser/README.md);
# `make test` runs the same tests without touching docs/.
screenshots: install
	UPDATE_SCREENSHOTS=1 $(PY) -m pytest tests/browser -m screenshots -q

# Benchmarks (not part of `make test`): the quick profile (< 10 min on 2 cores) by default,
# BENCH=full for the long one. Writes docs/performance.md. The endpoint benchmark's load
# generator is wrk, installed here when missing and apt-get can (else a Python fallback);
# the editor's needs Chromium (/usr/bin/chromium, as the browser tests), else it is skipped.
bench: install
	@command -v wrk >/dev/null 2>&1 || { command -v apt-get >/dev/null 2>&1 \
		&& [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null 2>&1; } \
		|| echo "bench: wrk not installed; the endpoint benchmark uses its Python load generator"
	$(PY) -m bench $(if $(filter full,$(BENCH)),--full,--quick)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# The editor's vendored front-end libraries (workflows/static/workflows/vendor/, committed):
# installs the exact packages of package-lock.json and rebuilds the bundle and its
# LICENSES.txt. Needs Node 18+ and npm; `make run` and `make test` do not (assets/README.md).
assets:
	npm ci --ignore-scripts --no-audit --no-fund
	node assets/build.mjs

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info node_modules
