# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-fast system-packages bench faults faults-quick clean help catalogues

help:
	@echo "make run    start the whole platform locally (broker, SMTP sink, four services, demo data)"
	@echo "make test   install everything and run the whole test suite"
	@echo "make bench  run the benchmarks under bench/"
	@echo "make faults the fault suite (bench/faults.py; make faults-quick: 10 s faults)"
	@echo "make catalogues  update the translation catalogues (npa/locale) after a text changed"

$(STAMP): requirements.lock requirements-dev.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m localrun

system-packages:
	@scripts/ensure_system_packages.sh

# Two workers, each taking whole files (their module fixtures start once): most tests wait on a
# broker, a browser or a server, so two workers on two cores take about half the time (ADR 24).
TEST_WORKERS ?= 2

test: $(STAMP) system-packages
	$(PY) -m pytest --numprocesses=$(TEST_WORKERS) --dist=loadfile

# After a text changed: extract every text (babel.cfg) and merge it into the catalogues; then
# translate the new entries (docs/translations.md). The catalogues are read as .po when a
# service starts (no compiled .mo to fall behind; ADR 17); tests/unit/test_catalogues.py fails
# while one is not current.
catalogues: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output --omit-header -o npa/locale/messages.pot .
	$(VENV)/bin/pybabel update -i npa/locale/messages.pot -d npa/locale --no-wrap --no-fuzzy-matching --ignore-obsolete

# The fault suite (bench/faults.py) kills processes and restarts a PostgreSQL server of its own: `make faults`, not here.
bench: $(STAMP)
	@for script in bench/*.py; do [ "$$script" = bench/faults.py ] && continue; echo "== $$script"; $(PY) $$script || exit 1; done

faults: $(STAMP)
	$(PY) bench/faults.py $(FAULTS_ARGS)

faults-quick: $(STAMP)
	$(PY) bench/faults.py --quick $(FAULTS_ARGS)

clean:
	rm -rf $(VENV) var test-artifacts
