# dropout-lab: `make sonar` installs and runs the Sonar study; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results
SHARED := $(wildcard ../shared/data/sonar.csv)
# Tests and CI read the shared Sonar copy when it is there; nothing is downloaded then.
export DROPOUT_LAB_DATA ?= $(if $(SHARED),$(abspath ../shared/data),)

CIRCLES := configs/circles_overfit.yaml configs/circles_dropout.yaml configs/circles_input_dropout.yaml configs/circles_maxnorm.yaml
JOBS   ?= 2

.PHONY: install test test-slow check-reference reference sonar circles tips regularizers mc-dropout reproduce bench bench-executors lint clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,ray,mlflow]'
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
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml configs/sonar_input.yaml configs/sonar_hidden.yaml --out $(OUT) --jobs $(JOBS)

# 4 configs x 30 repeats x 4000 epochs: the fused engine does it in minutes (SciKeras would take hours).
circles: install
	$(BIN)/dropout-lab run $(CIRCLES) --engine fused --out $(OUT)/circles

# The regularizer study (README, "Regularizer study"): the fused engine trains what it can,
# SciKeras batch normalization, early stopping and their unregularized reference; then the tables.
REG_SCIKERAS := $(foreach d,sonar circles,$(foreach v,none_scikeras batchnorm early_stopping,configs/regularizers/$(d)_$(v).yaml))
REG_FUSED    := $(filter-out $(REG_SCIKERAS),$(wildcard configs/regularizers/*.yaml))
regularizers: install
	$(BIN)/dropout-lab run $(REG_FUSED) --out $(OUT)/regularizers --quiet
	$(BIN)/dropout-lab run $(REG_SCIKERAS) --out $(OUT)/regularizers --jobs $(JOBS) --quiet
	$(BIN)/python -m dropout_lab.study $(OUT)/regularizers | tee $(OUT)/regularizers/study.md

# Standard vs Monte Carlo dropout inference (T = 50) on the three Sonar models (fused engine).
mc-dropout: install
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml --engine fused --out $(OUT)/mc_dropout --quiet
	$(BIN)/dropout-lab run configs/sonar_input.yaml configs/sonar_hidden.yaml --engine fused --out $(OUT)/mc_dropout \
		--quiet --set 'evaluation.inference={mode: mc_dropout, samples: 50}'
	$(BIN)/python -m dropout_lab.study $(OUT)/mc_dropout | tee $(OUT)/mc_dropout/study.md

# The dropout tips study (README, "The tutorial's tips, measured"): sonar_tips.yaml and its variants,
# 41 runs x 5 x 10 folds with the fused engine; then each run against the baseline and the hidden
# model (corrected t-test) into tips.md, and the differences plotted into differences.png.
TIPS := $(sort $(wildcard configs/sonar_tips*.yaml))

tips: install
	$(BIN)/dropout-lab run $(TIPS) --out $(OUT)/tips --quiet
	$(BIN)/dropout-lab compare $(OUT)/tips --against sonar_tips_baseline --against sonar_tips_hidden \
		--plot $(OUT)/tips/differences.png > $(OUT)/tips/tips.md
	cat $(OUT)/tips/tips.md

# Every tutorial study, then reproduction.md: each published figure against the measured one.
reproduce: install
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml configs/sonar_input.yaml configs/sonar_hidden.yaml \
		--out $(OUT)/reproduce --jobs $(JOBS) --quiet
	$(BIN)/dropout-lab run configs/circles_overfit.yaml configs/circles_dropout.yaml \
		--engine fused --out $(OUT)/reproduce --quiet
	$(BIN)/dropout-lab reproduction $(OUT)/reproduce

# The tutorial loop against dropout-lab's engines; BENCH_ARGS="--epochs 50 --rounds 1" for a quick look.
bench: install
	$(BIN)/python benchmarks/bench_engines.py $(BENCH_ARGS)

# A Sonar rate sweep (6 cells x 10 folds, SciKeras) with --jobs 1, --jobs 2 and --executor ray:
# wall time, speed-up, the driver's peak memory, and Ray's start-up cost on its own.
bench-executors: install
	$(BIN)/python benchmarks/bench_executors.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check dropout_lab tests

clean:
	rm -rf $(VENV) results .pytest_cache
