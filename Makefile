# dropout-lab: `make sonar` installs and runs the Sonar study; `make test` runs the tests.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
OUT    ?= results
SHARED := $(wildcard ../shared/data/sonar.csv)
# Tests and CI read the shared Sonar copy when it is there; nothing is downloaded then. Otherwise
# DROPOUT_LAB_DATA is empty and dropout-lab uses its per-user data cache (`dropout-lab data` says where).
export DROPOUT_LAB_DATA ?= $(if $(SHARED),$(abspath ../shared/data),)

CIRCLES := configs/circles_overfit.yaml configs/circles_dropout.yaml configs/circles_input_dropout.yaml configs/circles_maxnorm.yaml
JOBS   ?= 2
# The CNN and RNN dropout studies on 8x8 digits (5-fold CV, 15 epochs each, as the configs say).
DIGITS_CNN  := configs/digits_cnn_dropout_none.yaml configs/digits_cnn_dropout.yaml \
               configs/digits_cnn_dropout_spatial.yaml configs/digits_cnn_dropout_both.yaml
DIGITS_LSTM := configs/digits_lstm.yaml configs/digits_lstm_dropout.yaml \
               configs/digits_lstm_input_dropout.yaml configs/digits_lstm_variational.yaml

.PHONY: install test test-slow test-matrix check-reference reference sonar circles tune-studies tips digits-studies regularizers mc-dropout regression reproduce reproduce-fast reproduce-regression bench bench-cnn-rnn bench-xla bench-executors lint docs docs-serve schema clean

install: $(VENV)/.installed

# uv installs the pinned set (from its cache once it holds it: seconds rather than pip's minutes),
# compiling the bytecode as pip does.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools>=77'  # 77: builds this project's wheel offline (test_packaging)
	$(BIN)/pip install --quiet -c constraints.txt uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode -c constraints.txt -e '.[dev,ray,mlflow,tune,docs]'
	touch $@

# The fast suite on every core (pytest-xdist; at most 4 workers, each imports TensorFlow).
# The slow one in two passes: the tests that may share the cores on two workers, then those marked
# serial alone in one process (Ray clusters, Ctrl-C and SIGKILL timings, two-process runs use the
# cores themselves); pytest exits 5 when a selection holds no test, so neither pass passes having run nothing.
test: install
	$(BIN)/python -m pytest -q -n auto --maxprocesses 4

test-slow: install
	$(BIN)/python -m pytest -q -m "slow and not serial" -n 2
	$(BIN)/python -m pytest -q -m "slow and serial"

# Python 3.11-3.13 x the oldest and newest scikit-learn (noxfile.py), one cell after another,
# each in a fresh virtual environment; MATRIX="-p 3.13 -k newest" for one cell (nox's options).
# nox looks for python3.11, python3.12 and python3.13 on PATH: with pyenv, PYENV_VERSION names
# every installed 3.11-3.13 so that its shims run them.
test-matrix: install
	PYENV_VERSION=$$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[1-3]\.[0-9]+$$' | paste -sd: -) \
		$(BIN)/nox $(MATRIX)

# The smoke config(s) run again into a temporary directory and checked fold by fold
# against the committed reference runs in reference/ (see docs/guides/check.md).
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

# The shipped tuning studies (docs/guides/tuning.md): Sonar's hidden dropout rate and max-norm, then the
# circles dropout rate, searched with pruning on the fused engine; a few minutes on 2 cores.
tune-studies: install
	$(BIN)/dropout-lab tune sonar_hidden_tune --engine fused --trials 24 --prune --out $(OUT)/tune
	$(BIN)/dropout-lab tune circles_rate_tune --engine fused --trials 16 --prune --confirm-repeats 30 --out $(OUT)/tune

# The tutorials' CNN and RNN dropout patterns on digits, each run compared with its family's
# no-dropout baseline fold by fold (corrected resampled t-test) into classifier.md, cnn.md and
# lstm.md.  DIGITS_ENGINE=fused (the default; every run stacked, in graph mode: auto's choice for conv and recurrent nets; see
# docs/studies/fused-cnn-rnn.md) or DIGITS_ENGINE=scikeras (one Keras model per fold, ~13 min on 2 cores).
DIGITS_ENGINE ?= fused
digits-studies: install
	$(BIN)/dropout-lab run configs/digits_cnn_baseline.yaml configs/digits_cnn.yaml $(DIGITS_CNN) $(DIGITS_LSTM) \
		configs/digits_cnn_spatial_sweep.yaml --engine $(DIGITS_ENGINE) --out $(OUT)/digits --quiet
	$(BIN)/dropout-lab compare $(OUT)/digits/digits_cnn_baseline $(OUT)/digits/digits_cnn \
		--against digits_cnn_baseline > $(OUT)/digits/classifier.md && cat $(OUT)/digits/classifier.md
	$(BIN)/dropout-lab compare $(foreach c,$(DIGITS_CNN),$(OUT)/digits/$(basename $(notdir $(c)))) \
		$(OUT)/digits/digits_cnn_spatial_sweep --against digits_cnn_dropout_none \
		> $(OUT)/digits/cnn.md && cat $(OUT)/digits/cnn.md
	$(BIN)/dropout-lab compare $(foreach c,$(DIGITS_LSTM),$(OUT)/digits/$(basename $(notdir $(c)))) \
		--against digits_lstm > $(OUT)/digits/lstm.md && cat $(OUT)/digits/lstm.md
# The regularizer study (docs/studies/regularizers.md): the fused engine trains what it can (batch
# normalization included), SciKeras early stopping and its unregularized reference; then the tables.
# --no-xla here, in mc-dropout and in tips: the tables of these studies (docs/studies/) were measured in
# graph mode (XLA gives other draws of the same distribution; drop it for XLA's speed).
REG_SCIKERAS := $(foreach d,sonar circles,$(foreach v,none_scikeras early_stopping,configs/regularizers/$(d)_$(v).yaml))
REG_FUSED    := $(filter-out $(REG_SCIKERAS),$(wildcard configs/regularizers/*.yaml))
regularizers: install
	$(BIN)/dropout-lab run $(REG_FUSED) --out $(OUT)/regularizers --quiet --no-xla
	$(BIN)/dropout-lab run $(REG_SCIKERAS) --out $(OUT)/regularizers --jobs $(JOBS) --quiet
	$(BIN)/python -m dropout_lab.study $(OUT)/regularizers | tee $(OUT)/regularizers/study.md

# Standard vs Monte Carlo dropout inference (T = 50) on the three Sonar models (fused engine).
mc-dropout: install
	$(BIN)/dropout-lab run configs/sonar_baseline.yaml --engine fused --out $(OUT)/mc_dropout --quiet --no-xla
	$(BIN)/dropout-lab run configs/sonar_input.yaml configs/sonar_hidden.yaml --engine fused --out $(OUT)/mc_dropout \
		--quiet --no-xla --set 'evaluation.inference={mode: mc_dropout, samples: 50}'
	$(BIN)/python -m dropout_lab.study $(OUT)/mc_dropout | tee $(OUT)/mc_dropout/study.md

# Regression (docs/guides/regression.md, docs/studies/regression.md): dropout rates on diabetes and on
# Friedman #1, each against its no-dropout baseline fold by fold (corrected resampled t-test, test RMSE),
# and the 1-D gap toy whose band.png shows Monte Carlo dropout's band (it widens beyond the data, barely in the gap).
# ENGINE=scikeras for the reference engine (minutes rather than seconds).
ENGINE ?= fused
REG_OUT = $(OUT)/regression/$(ENGINE)
regression: install
	$(BIN)/dropout-lab run $(wildcard configs/regression/*.yaml) --engine $(ENGINE) --out $(REG_OUT) --quiet
	$(BIN)/dropout-lab compare $(REG_OUT)/diabetes_baseline $(REG_OUT)/diabetes_dropout \
		--against diabetes_baseline > $(REG_OUT)/diabetes.md && cat $(REG_OUT)/diabetes.md
	$(BIN)/dropout-lab compare $(REG_OUT)/friedman1_baseline $(REG_OUT)/friedman1_dropout \
		--against friedman1_baseline > $(REG_OUT)/friedman1.md && cat $(REG_OUT)/friedman1.md

# The dropout tips study (docs/studies/tips.md): sonar_tips.yaml and its variants,
# 41 runs x 5 x 10 folds with the fused engine; then each run against the baseline and the hidden
# model (corrected t-test) into tips.md, and the differences plotted into differences.png.
TIPS := $(sort $(wildcard configs/sonar_tips*.yaml))

tips: install
	$(BIN)/dropout-lab run $(TIPS) --out $(OUT)/tips --quiet --no-xla
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

# The same studies, all with the fused engine (XLA where it pays: training.xla's default, auto), into a
# temporary directory (REPRODUCE_OUT to keep it); fails unless every verdict is "reproduced".
# About 30 s on 2 cores; .ci/run calls it after the tests.
SONAR   := configs/sonar_baseline.yaml configs/sonar_input.yaml configs/sonar_hidden.yaml
reproduce-fast: install
	@out=$${REPRODUCE_OUT:-$$(mktemp -d)} && \
	$(BIN)/dropout-lab run $(SONAR) configs/circles_overfit.yaml configs/circles_dropout.yaml \
		--engine fused --out "$$out" --no-plots --quiet && \
	$(BIN)/dropout-lab reproduction "$$out" && \
	if grep -E '^\| (sonar|circles)_' "$$out/reproduction.md" | grep -vq '| reproduced: '; then \
		echo "reproduce-fast: a published figure is not reproduced (see $$out/reproduction.md)" >&2; exit 1; fi

# Gal & Ghahramani's UCI regression table (docs/studies/gal_uci.md): their grid-search protocol on
# the 20 fixed splits of concrete, energy, wine-quality-red and yacht (downloaded and verified into
# the data cache, or read from ../shared/data/uci), then each published figure judged.
# GAL_ARGS="--set epochs=400 --set samples=1000" for a quicker look.
GAL_UCI := $(sort $(wildcard protocols/gal_uci/*.yaml))
reproduce-regression: install
	$(BIN)/python -m dropout_lab.gal run $(GAL_UCI) --out $(OUT)/gal_uci $(GAL_ARGS)

# The tutorial loop against dropout-lab's engines (BENCH_ARGS="--epochs 50 --rounds 1" for a quick look), then
# the digits CNN and LSTM studies on SciKeras vs fused graph vs fused XLA and the Sonar baseline's end-to-end and
# fixed cost before/after (bench-cnn-rnn; BEFORE: the commit before the fused engine learned conv and recurrent layers).
BEFORE ?= cfaaede
BENCH_CNN_RNN = $(BIN)/python benchmarks/bench_fused_cnn_rnn.py $(if $(BEFORE),--before $(BEFORE)) $(CNN_RNN_ARGS)
bench: install
	$(BIN)/python benchmarks/bench_engines.py $(BENCH_ARGS)
	$(BENCH_CNN_RNN)

# The digits CNN and LSTM studies: SciKeras vs fused (graph) vs fused (XLA), and the Sonar baseline's
# end-to-end and fixed cost before (BEFORE: a commit or another checkout; BEFORE= for none) and after; docs/studies/fused-cnn-rnn.md.
bench-cnn-rnn: install
	$(BENCH_CNN_RNN)

# Graph mode against XLA by the size of a program's work (the XLA table of docs/studies/performance.md, and auto's threshold).
bench-xla: install
	$(BIN)/python benchmarks/bench_xla.py

# A Sonar rate sweep (6 cells x 10 folds) on the SciKeras and the fused engine, each with --jobs 1,
# --executor processes --jobs 2, --executor ray on a head the benchmark starts and stops (127.0.0.1,
# 2 CPUs, no dashboard) and on a local Ray of its own: wall time, speed-ups, the driver's peak memory,
# same folds.csv; then Ray's start-up on its own. BENCH_ARGS="--epochs 2 --fused-epochs 10" for a quick look.
bench-executors: install
	$(BIN)/python benchmarks/bench_executors.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check dropout_lab tests

# The docs site (mkdocs.yml): built into site/ with strict checking (a broken link, a missing page
# or anchor fails); the reference pages are generated from the code as it builds (docs/_hooks.py).
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

DOCS_ADDR ?= 127.0.0.1:8000
docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --strict --dev-addr $(DOCS_ADDR)

# Rewrite the committed JSON Schema of configs (configs/config.schema.json) after a change of the
# config schema; tests/test_json_schema.py fails until it equals `dropout-lab schema`.
schema: install
	$(BIN)/dropout-lab schema > configs/config.schema.json.tmp && mv configs/config.schema.json.tmp configs/config.schema.json

clean:
	rm -rf $(VENV) results site .pytest_cache
