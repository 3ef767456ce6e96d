# Every target sets itself up: it finds Python >= 3.12, makes .venv and
# installs the project into it, so a fresh clone needs nothing done by hand.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: setup run test bench viz viz-assets clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@set -e; \
	if [ ! -x $(PY) ]; then \
	  base=$$(.ci/find-python); \
	  echo "creating $(VENV) with $$base"; \
	  "$$base" -m venv $(VENV); \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip; \
	$(PY) -m pip install --quiet -e '.[test,viz]'
	@touch $(STAMP)

run: setup
	$(VENV)/bin/spread trusts --reps 20 --out results/trusts

test: setup viz-assets
	$(PY) -m pytest -q

# Front-end assets of the browser visualiser, from the npm registry into
# .solara-assets/ (idempotent), so the page needs no internet at run time.
viz-assets: setup
	$(PY) -m model.viz_assets --quiet

# Browser visualiser for teaching: http://127.0.0.1:8765/ (PORT=... to change)
PORT ?= 8765
viz: setup viz-assets
	$(VENV)/bin/spread viz --port $(PORT)

bench: setup
	$(PY) benchmarks/bench_engine.py

clean:
	rm -rf $(VENV) results .pytest_cache .hypothesis .solara-assets test-artifacts
