# dropout-lab: `make sonar` installs and runs the Sonar study; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results
SHARED := $(wildcard ../shared/data/sonar.csv)
# Tests and CI read the shared Sonar copy when it is there; nothing is downloaded then.
export DROPOUT_LAB_DATA ?= $(if $(SHARED),$(abspath ../shared/data),)

.PHONY: install test test-slow check-reference reference sonar circles lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

test: install
	$(BIN)/python -m pytest -q

test-slow: install
	$(BIN)/python -m pytest -q -m slow

# The smoke config(s) run again into a temporary directory and checked fold by fold
# against the committed reference runs in reference/ (see README, "Checking results").
REFERENCE_CONFIGS := configs/smoke.yaml

check-reference: install
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m dropout_lab run $(REFERENCE_CONFIGS) --out "$$tmp" --no-plots -q --check reference

# Rewrite reference/ (after a deliberate change of the smoke config or of the numbers).
reference: install
	$(BIN)/python -m dropout_lab run $(REFERENCE_CONFIGS) --out reference --no-plots -q

sonar: install
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml configs/sonar_input.yaml configs/sonar_hidden.yaml --out $(OUT)

circles: install
	@echo "The circles study arrives with its configs (issue 3)." && exit 1

lint: install
	$(BIN)/ruff check dropout_lab tests

clean:
	rm -rf $(VENV) results .pytest_cache
