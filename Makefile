# dropout-lab: `make sonar` installs and runs the Sonar study; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results
SHARED := $(wildcard ../shared/data/sonar.csv)
# Tests and CI read the shared Sonar copy when it is there; nothing is downloaded then.
export DROPOUT_LAB_DATA ?= $(if $(SHARED),$(abspath ../shared/data),)

.PHONY: install test test-slow sonar circles lint clean

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

sonar: install
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml configs/sonar_input.yaml configs/sonar_hidden.yaml --out $(OUT)

circles: install
	@echo "The circles study arrives with its configs (issue 3)." && exit 1

lint: install
	$(BIN)/ruff check dropout_lab tests

clean:
	rm -rf $(VENV) results .pytest_cache
