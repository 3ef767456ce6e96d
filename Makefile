# Every target sets itself up: it finds Python >= 3.12, makes .venv and
# installs the project into it, so a fresh clone needs nothing done by hand.
# The development and CI environment is the locked one: requirements.lock pins
# every package the tests, sweeps, visualiser and calibration use (made by uv
# from pyproject.toml's loose ranges; `make lock` refreshes it to the newest).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCK := requirements.lock

.PHONY: setup lock system-deps run test bench bench-sweep viz viz-assets clean

setup: $(STAMP)

# The locked set first (pip enforces every pin, build tools included), then the
# checkout itself, editable, with nothing resolved beyond the lock.
$(STAMP): pyproject.toml setup.py $(LOCK)
	@set -e; \
	if [ ! -x $(PY) ]; then \
	  base=$$(.ci/find-python); \
	  echo "creating $(VENV) with $$base"; \
	  "$$base" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --no-warn-script-location -r $(LOCK) 2> >(grep -v "^WARNING: Location" >&2); \
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Refresh the lock to the newest versions pyproject.toml allows, for Python 3.12
# on every platform (uv's universal resolution); then `make test` on the new set.
lock: setup
	$(VENV)/bin/uv pip compile pyproject.toml --all-extras --universal --python-version 3.12 \
	  --upgrade --no-header --quiet -o $(LOCK).body
	@{ echo "# The locked development and CI environment: made by 'make lock' (uv pip compile"; \
	   echo "# pyproject.toml --all-extras --universal --python-version 3.12 --upgrade) on $$(date -u +%Y-%m-%d)."; \
	   echo "# make setup / make test / make run / .ci/run install exactly these; pyproject.toml"; \
	   echo "# keeps the loose ranges for people who install the library. Edit neither by hand."; \
	   cat $(LOCK).body; } > $(LOCK) && rm -f $(LOCK).body

# The headline job: E1 (the five trusts at real headcounts) and E2 (regime map of
# connectedness x leadership commitment); about 1 minute on 2 idle cores.
run: setup
	$(VENV)/bin/spread sweep experiments/E1_trusts.toml --out results/E1_trusts $$(test -d results/E1_trusts && echo --resume)
	$(VENV)/bin/spread sweep experiments/E2_regime_map.toml --out results/E2_regime_map $$(test -d results/E2_regime_map && echo --resume)
	@echo "results: results/E1_trusts/ and results/E2_regime_map/ (runs/*.parquet; analysis/: report.md, tables .csv, figures .png and .svg)"

bench-sweep: setup
	$(PY) benchmarks/bench_sweep.py --runs 100 1000 --null 1000 10000

# Chromium and npm for the browser tests, with apt when missing (.ci/system-deps)
system-deps:
	@.ci/system-deps

test: system-deps setup viz-assets
	$(PY) -m pytest -q -n auto --dist loadfile

# Front-end assets of the browser visualiser, from the npm registry into
# .solara-assets/ (idempotent), so the page needs no internet at run time.
viz-assets: setup
	$(PY) -m model.viz.assets --quiet

# Browser visualiser for teaching: http://127.0.0.1:8765/ (PORT=... to change)
PORT ?= 8765
viz: setup viz-assets
	$(VENV)/bin/spread viz --port $(PORT)

bench: setup
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis .solara-assets test-artifacts
