# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast system-packages bench faults faults-quick clean help

help:
	@echo "make run    start the whole platform locally (broker, SMTP sink, four services, demo data)"
	@echo "make test   install everything and run the whole test suite"
	@echo "make bench  run the benchmarks under bench/"
	@echo "make faults the fault suite (bench/faults.py; make faults-quick: 10 s faults)"

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m localrun

system-packages:
	@scripts/ensure_system_packages.sh

test: $(STAMP) system-packages
	$(PY) -m pytest

bench: $(STAMP)
	@for script in bench/*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

faults: $(STAMP)
	$(PY) bench/faults.py $(FAULTS_ARGS)

faults-quick: $(STAMP)
	$(PY) bench/faults.py --quick $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts
