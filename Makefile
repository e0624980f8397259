# Two commands do everything on a fresh machine: `make demo` and `make test`.
# Each sets up what it needs: the virtualenv in .venv (from uv.lock), and the
# local PostgreSQL cluster the demo and tests start themselves.

PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
STAMP := $(VENV)/.synced

export DBT_SEND_ANONYMOUS_USAGE_STATS := False
export GX_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: setup demo test browser lint format bench clean

setup: $(STAMP)

# uv comes from PyPI into the virtualenv itself (it is also pinned in the lock's
# dev group, so `uv sync` keeps it).
# The project itself is rebuilt when its C code changes (gcc and Python's headers,
# as Debian's python3-dev, are needed: src/sangkien/landing/_*.c).
NATIVE := $(wildcard src/sangkien/landing/_*.[ch])

$(STAMP): pyproject.toml uv.lock $(NATIVE)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@test -x $(UV) || $(VENV)/bin/python -m pip install --quiet "uv==0.13.8"
	$(UV) sync --frozen --python $(VENV)/bin/python --reinstall-package sangkien
	@touch $(STAMP)

demo: setup
	$(VENV)/bin/sangkien demo

test: setup browser
	$(VENV)/bin/python -m pytest

# Debian's Chromium for the browser test of the reports (installed when missing
# and we may: root with apt); without it that one test is skipped, and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (Debian) for the browser test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "chromium not found and cannot be installed: the browser test will be skipped"; fi; }

# The national-scale benchmark, not part of `make test` (tens of minutes at scale 1):
# writes bench/RESULTS.md. BENCH_ARGS="--scale 0.05" for a quick rehearsal.
bench: setup
	$(VENV)/bin/python bench/national_scale.py $(BENCH_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	-$(VENV)/bin/sangkien db down
	rm -rf .sangkien dbt_project/target dbt_project/logs
