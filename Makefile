# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.skhpa-installed

.PHONY: help venv test test-fast demo demo-small bench bench-extra docs lint clean

help:
	@echo "make demo   - create $(VENV) and run the demo on the built-in synthetic data"
	@echo "make test   - create $(VENV) and run the test suite"
	@echo "make bench  - run the speed, memory and quick quality benchmarks (see docs/benchmarks.rst)"
	@echo "make bench-extra - the ablation (about an hour), memory under load, scaling out"
	@echo "make docs   - build the Sphinx documentation into docs/_build/html"
	@echo "make lint   - ruff"

# The environment is (re)built when missing or when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,plots,dev]"
	touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

demo: $(STAMP)
	$(PY) -m skhpa demo

demo-small: $(STAMP)
	$(PY) -m skhpa demo --small

bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run_all.py

# opt-in: the quality ablation (about an hour), memory under load, scaling out, Kaggle scale,
# the threshold study, near-duplicate grouping
bench-extra: $(STAMP)
	$(PY) -m pip install --quiet -e ".[bench]"
	$(PY) benchmarks/run_all.py ablation reliability scaling kaggle_scale threshold_generalization duplicates

docs: $(STAMP)
	$(PY) -m pip install --quiet -e ".[docs]"
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html

lint: $(STAMP)
	$(PY) -m ruff check skhpa tests benchmarks examples

clean:
	rm -rf $(VENV) docs/_build docs/auto_examples docs/generated
