"""Bad input, table-driven: every case is one `Error: ...` line that names the file and the
place (key path, row and column), exit code 1, no traceback, and nothing written or
removed anywhere: an earlier result directory stays byte-identical and no new file or
directory (not even a temporary one) is left behind."""

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import TAGS, load_config

from .conftest import CONFIGS, ROOT

SMOKE = CONFIGS / "smoke.yaml"
EXTENDS = f"extends: {SMOKE}\n"
LAYERS = ("model:\n  layers:\n    - {{type: dense, units: 8}}\n    - {{type: {kind}, rate: {rate}}}\n"
          "    - {{type: dense, units: 1, activation: sigmoid}}\n")
MODEL = "model:\n  layers:\n    - {}\n    - {{type: dense, units: 1, activation: sigmoid}}\n"
RUN = ["run", SMOKE, "--out", "{tmp}/out"]
SONAR = ["run", SMOKE, "--data-dir", "{tmp}/data", "--out", "{tmp}/out"]
CSV_CONFIG = {"c.yaml": EXTENDS + "data: {dataset: csv, path: d.csv}\n"}
RUN_CSV = ["run", "{tmp}/c.yaml", "--out", "{tmp}/out"]
RUN_C = ["run", "{tmp}/c.yaml", "--out", "{tmp}/out"]
DIGITS = f"extends: {CONFIGS / 'digits_mlp.yaml'}\n"
DIGIT_OUTPUT = ("model:\n  layers:\n    - {{type: dense, units: 16}}\n    - {{type: dense, units: {units}, "
                "activation: {activation}}}\n")
NPZ_CONFIG = {"c.yaml": EXTENDS + "data: {dataset: npz, path: d.npz}\n"}
# a regression config (issue 22): diabetes, one hidden layer, the output layer and loss given per case
REGRESSION = ("name: r\ndata: {data}\nmodel:\n  layers:\n    - {{type: dense, units: 8}}\n"
              "    - {output}\ntraining: {{optimizer: {{name: adam}}, loss: {loss}, epochs: 1, batch_size: 32}}\n"
              "evaluation: {evaluation}\n")
LINEAR = "{type: dense, units: 1, activation: linear}"


def regression(output: str = LINEAR, loss: str = "mse", data: str = "{dataset: diabetes}",
               evaluation: str = "{n_splits: 3}") -> dict:
    return {"c.yaml": REGRESSION.format(output=output, loss=loss, data=data, evaluation=evaluation)}


def npz(**arrays):
    """An .npz file's bytes."""
    buffer = io.BytesIO()
    np.savez(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    return buffer.getvalue()


def cell(row: int, col: int, value: str):
    """A mangle of the Sonar lines: the value at (1-based) row and column replaced."""
    def mangle(lines):
        cells = lines[row - 1].split(",")
        cells[col - 1] = value
        return [*lines[: row - 1], ",".join(cells), *lines[row:]]

    return mangle


def sonar(mangle) -> dict:
    return {"data/sonar.csv": mangle}


def reference_with(where: str = "mine", **changes) -> dict:
    """A copy of reference/smoke as tmp/<where>, with some files replaced."""
    return {f"{where}/{name}": changes.get(name, (ROOT / "reference" / "smoke" / name).read_text())
            for name in ("config.yaml", "folds.csv", "run.json")}


def cfg(text: str) -> dict:
    return {"c.yaml": EXTENDS + text}


# id: (files to create under tmp, command-line arguments, what the one Error line must contain)
CASES = {
    # --- configs ---
    "config: empty file": ({"c.yaml": ""}, RUN_C, ["{tmp}/c.yaml: the file is empty"]),
    "config: a list at top level": ({"c.yaml": "- a\n- b\n"}, RUN_C,
                                    ["{tmp}/c.yaml: the top level must be a mapping of config keys; got a list"]),
    "config: malformed YAML": (cfg("training: {epochs: 3\n"), RUN_C,
                               ["{tmp}/c.yaml: malformed YAML at line 3, column 1"]),
    "config: missing file": ({}, ["run", "{tmp}/nope.yaml", "--out", "{tmp}/out"],
                             ["{tmp}/nope.yaml: no such config file"]),
    "config: unknown key": (cfg("training: {epochz: 3}\n"), RUN_C,
                            ["{tmp}/c.yaml: training.epochz is not a known key (did you mean 'epochs'?)"]),
    "config: misspelt layer type": (
        cfg(LAYERS.format(kind="dropuot", rate=0.2)), RUN_C,
        [f"{{tmp}}/c.yaml: model.layers[1].type must be one of {len(TAGS['type'])} values (did you mean 'dropout'?); "
         f"got 'dropuot'; valid: {', '.join(TAGS['type'])}"]),
    "config: unknown layer type": (
        cfg(LAYERS.format(kind="embedding", rate=0.2)), RUN_C,
        [f"{{tmp}}/c.yaml: model.layers[1].type must be one of {len(TAGS['type'])} values; got 'embedding'; "
         f"valid: {', '.join(TAGS['type'])}"]),
    "config: recurrent_dropout 1.0": (
        cfg(MODEL.format("{type: lstm, units: 4, recurrent_dropout: 1.0}")), RUN_C,
        ["{tmp}/c.yaml: model.layers[0].recurrent_dropout must be a float in [0, 1); got 1.0"]),
    "config: recurrent_dropout -0.1": (
        cfg(MODEL.format("{type: gru, units: 4, recurrent_dropout: -0.1}")), RUN_C,
        ["{tmp}/c.yaml: model.layers[0].recurrent_dropout must be a float in [0, 1); got -0.1"]),
    "config: l2 -1": (
        cfg(MODEL.format("{type: dense, units: 4, kernel_regularizer: {l2: -1}}")), RUN_C,
        ["{tmp}/c.yaml: model.layers[0].kernel_regularizer.l2 must be a float >= 0; got -1"]),
    "config: --set l2 -1": (
        {}, [*RUN, "--set", "model.layers[0].kernel_regularizer.l2=-1"],
        [f"{SMOKE} (--set model.layers[0].kernel_regularizer.l2=-1): model.layers[0].kernel_regularizer.l2 must be "
         "a float >= 0; got -1"]),
    # --- shapes, checked on the data before training ---
    "shape: lstm on a flat input": (
        cfg(MODEL.format("{type: lstm, units: 4}")), RUN_C,
        ["{tmp}/c.yaml: model.layers[0] (lstm) needs a sequence (steps, features); got (60,) from the input"]),
    "shape: conv2d on a flat input": (
        cfg(MODEL.format("{type: conv2d, filters: 4, kernel_size: 3}")), RUN_C,
        ["{tmp}/c.yaml: model.layers[0] (conv2d) needs an image (rows, cols, channels); got (60,) from the input"]),
    "config: rate as a string": (cfg(LAYERS.format(kind="dropout", rate="'0.2'")), RUN_C,
                                 ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got '0.2'"]),
    "config: epochs 2.5": (cfg("training: {epochs: 2.5}\n"), RUN_C,
                           ["{tmp}/c.yaml: training.epochs must be an integer >= 1; got 2.5"]),
    "config: a section of the wrong type": (cfg("training: [1, 2]\n"), RUN_C,
                                            ["{tmp}/c.yaml: training must be a mapping of keys; got a list [1, 2]"]),
    "config: rate 1.0": (cfg(LAYERS.format(kind="dropout", rate=1.0)), RUN_C,
                         ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got 1.0"]),
    "config: rate -0.1": (cfg(LAYERS.format(kind="dropout", rate=-0.1)), RUN_C,
                          ["{tmp}/c.yaml: model.layers[1].rate must be a float in [0, 1); got -0.1"]),
    "config: n_splits 1": (cfg("evaluation: {n_splits: 1}\n"), RUN_C,
                           ["{tmp}/c.yaml: evaluation.n_splits must be an integer >= 2; got 1"]),
    "config: n_splits above the smallest class": (
        cfg("evaluation: {n_splits: 98}\n"), RUN_C,
        ["{tmp}/c.yaml: evaluation.n_splits must be an integer in [2, 97] (the smallest class has 97 rows); got 98"]),
    "config: epochs 0": (cfg("training: {epochs: 0}\n"), RUN_C,
                         ["{tmp}/c.yaml: training.epochs must be an integer >= 1; got 0"]),
    "config: unknown learning-rate schedule": (
        cfg("training:\n  optimizer: {name: sgd, learning_rate: {schedule: linear, initial_learning_rate: 1.0}}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.schedule must be one of: exponential_decay, "
                "inverse_time_decay, cosine_decay, piecewise_constant; got 'linear'"]),
    "config: negative decay rate": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: exponential_decay, initial_learning_rate: 1.0,"
            " decay_steps: 12, decay_rate: -0.9}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.decay_rate must be a float > 0; got -0.9"]),
    "config: momentum 1.5": (cfg("training: {optimizer: {momentum: 1.5}}\n"), RUN_C,
                             ["{tmp}/c.yaml: training.optimizer.momentum must be a float in [0, 1]; got 1.5"]),
    "config: piecewise boundaries and values that do not fit": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: piecewise_constant, boundaries: [100, 200],"
            " values: [0.1, 0.01]}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.values must hold one value more than boundaries "
                "(2 boundaries [100, 200]: 3 values); got [0.1, 0.01]"]),
    "config: piecewise boundaries not increasing": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: piecewise_constant, boundaries: [200, 100],"
            " values: [0.1, 0.01, 0.001]}\n"),
        RUN_C, ["{tmp}/c.yaml: training.optimizer.learning_rate.boundaries must be a non-empty list of strictly "
                "increasing integers >= 0 (optimizer steps); got [200, 100]"]),
    "config: a schedule parameter swept out of range": (
        cfg("training:\n  optimizer:\n    learning_rate: {schedule: inverse_time_decay, initial_learning_rate: 1.0,"
            " decay_steps: 12, decay_rate: 0.5}\n"),
        [*RUN_C, "--sweep", "training.optimizer.learning_rate.decay_rate=0.5,-1"],
        ["{tmp}/c.yaml: training.optimizer.learning_rate.decay_rate must be a float >= 0; got -1"]),
    "config: extends cycle": ({"c.yaml": "extends: b.yaml\n", "b.yaml": "extends: c.yaml\n"}, RUN_C,
                              ["{tmp}/c.yaml: extends forms a cycle: {tmp}/c.yaml -> {tmp}/b.yaml -> {tmp}/c.yaml"]),
    "config: missing extends target": ({"c.yaml": "extends: gone.yaml\n"}, RUN_C,
                                       ["{tmp}/c.yaml: extends names 'gone.yaml', but {tmp}/gone.yaml does not exist"]),
    "config: --set without =": ({}, [*RUN, "--set", "training.epochs"],
                                [f"{SMOKE}: --set 'training.epochs': expected KEY=VALUE"]),
    "config: --set bad key path": ({}, [*RUN, "--set", "model.layers[x].rate=0.1"],
                                   [f"{SMOKE}: --set 'model.layers[x].rate=0.1': expected KEY=VALUE"]),
    "config: --set index out of range": (
        {}, [*RUN, "--set", "model.layers[9].rate=0.1"],
        [f"{SMOKE}: --set 'model.layers[9].rate=0.1': model.layers[9] does not exist"]),
    "config: --set value of the wrong type": (
        {}, [*RUN, "--set", "training.epochs=zero"],
        [f"{SMOKE} (--set training.epochs=zero): training.epochs must be an integer >= 1; got 'zero'"]),
    "config: seed -1 (issue 9)": (cfg("seed: -1\n"), RUN_C,
                                  ["{tmp}/c.yaml: seed must be an integer in [0, 4294967295]; got -1"]),
    "config: --set of a whole mapping is blamed on the --set (issue 9)": (
        {}, [*RUN, "--set", "evaluation={protocol: holdout, n_train: 300}"],
        [f"{SMOKE} (--set evaluation={{protocol: holdout, n_train: 300}}): evaluation.n_train must leave rows "
         "to train on and to test on (1 to 207 of 208 rows); got 300"]),
    "config: --sweep with an empty value (issue 9)": (
        {}, [*RUN, "--sweep", "model.layers[1].rate=0.1,"],
        ["--sweep 'model.layers[1].rate=0.1,': the last of the 2 comma-separated values is empty"]),
    # --- inference modes and early stopping (issue 12) ---
    "config: mc_dropout samples 0 (issue 12)": (
        cfg("evaluation: {inference: {mode: mc_dropout, samples: 0}}\n"), RUN_C,
        ["{tmp}/c.yaml: evaluation.inference.samples must be an integer >= 1; got 0"]),
    "config: an unknown inference mode (issue 12)": (
        cfg("evaluation: {inference: {mode: mc}}\n"), RUN_C,
        ["{tmp}/c.yaml: evaluation.inference.mode must be one of: standard, mc_dropout; got 'mc'"]),
    "config: mc_dropout on a model without dropout (issue 12)": (
        cfg(MODEL.format("{type: dense, units: 8}") + "evaluation: {inference: {mode: mc_dropout, samples: 5}}\n"),
        RUN_C,
        ["{tmp}/c.yaml: evaluation.inference.mode mc_dropout needs a dropout layer (dropout, spatial_dropout1d, "
         "spatial_dropout2d, gaussian_dropout, alpha_dropout) with a rate above 0; the model has none, so "
         "mc_dropout would equal standard inference; got mode 'mc_dropout'"]),
    "config: early stopping monitor unknown (issue 12)": (
        cfg("training: {early_stopping: {monitor: val_acc}}\n"), RUN_C,
        ["{tmp}/c.yaml: training.early_stopping.monitor must be one of: val_loss, val_accuracy "
         "(did you mean 'val_accuracy'?); got 'val_acc'"]),
    "config: early stopping validation_fraction 0 (issue 12)": (
        cfg("training: {early_stopping: {validation_fraction: 0}}\n"), RUN_C,
        ["{tmp}/c.yaml: training.early_stopping.validation_fraction must be a float in (0, 1); got 0"]),
    "config: early stopping validation_fraction 1 (issue 12)": (
        cfg("training: {early_stopping: {validation_fraction: 1.0}}\n"), RUN_C,
        ["{tmp}/c.yaml: training.early_stopping.validation_fraction must be a float in (0, 1); got 1.0"]),
    "config: early stopping validation part too small for every class (issue 12)": (
        cfg("training: {early_stopping: {validation_fraction: 0.005}}\n"), RUN_C,
        ["{tmp}/c.yaml: training.early_stopping.validation_fraction must leave at least one row of each of the "
         "2 classes in the validation part and in the rest of the training part (repeat 1, fold 1 trains on "
         "138 rows: 1 would validate); got 0.005"]),
    "config: early stopping on the fused engine (issue 12)": (
        cfg("training: {engine: fused, early_stopping: {patience: 3}}\n"), RUN_C,
        ["training.early_stopping =", "is not supported by the fused engine; use the SciKeras engine "
         "(`training.engine: scikeras`)"]),
    # --- a user CSV (dataset: csv) ---
    # --- regression (issue 22) ---
    "regression: softmax output": (
        regression("{type: dense, units: 3, activation: softmax}"), RUN_C,
        ["{tmp}/c.yaml: model.layers[1] must be the output layer dense(1, linear) for a regression target "
         "(diabetes); got dense(3, softmax)"]),
    "regression: sigmoid output": (
        regression("{type: dense, units: 1, activation: sigmoid}"), RUN_C,
        ["{tmp}/c.yaml: model.layers[1] must be the output layer dense(1, linear) for a regression target "
         "(diabetes); got dense(1, sigmoid)"]),
    "regression: a classification loss": (
        regression(loss="binary_crossentropy"), RUN_C,
        ["{tmp}/c.yaml: training.loss must be mse or mae or huber or log_cosh for a regression target (diabetes); "
         "got 'binary_crossentropy'"]),
    "regression: mse on a classification task": (
        cfg("training: {loss: mse}\n"), RUN_C,
        ["{tmp}/c.yaml: training.loss must be binary_crossentropy for the 2 classes in the data (sonar); got 'mse' "
         "(a regression target? set data.task: regression)"]),
    "regression: a non-numeric target": (
        {**regression(data="{dataset: csv, path: d.csv, task: regression}"),
         "d.csv": "a,b,y\n1,2,3.5\n3,4,abc\n2,2,1.5\n"}, RUN_C,
        ["{tmp}/d.csv: row 3, column 3 (y): data.task: regression needs a numeric target; got 'abc'"]),
    "regression: mc_dropout on a model without dropout": (
        regression(evaluation="{n_splits: 3, inference: {mode: mc_dropout}}"), RUN_C,
        ["{tmp}/c.yaml: evaluation.inference.mode mc_dropout needs a dropout layer", "got mode 'mc_dropout'"]),
    "regression: a continuous target under a classification config": (
        {**CSV_CONFIG, "d.csv": "a,b,y\n1,2,3.5\n3,4,2.25\n2,2,1.5\n5,1,0.75\n"}, RUN_CSV,
        ["{tmp}/d.csv: column 3 (y): the labels look like a continuous target (4 distinct numbers from 0.75 to "
         "3.5 in 4 rows), not classes; for a regression problem set data.task: regression"]),
    "regression: tau on a classification task": (
        cfg("evaluation: {inference: {mode: mc_dropout, samples: 5, tau: 2.0}}\n"), RUN_C,
        ["{tmp}/c.yaml: evaluation.inference.tau is for a regression task (Monte Carlo dropout's predictive "
         "variance); the data holds classes: expected no tau; got 2.0"]),
    "regression: history": (
        regression(evaluation="{n_splits: 3, history: true}"), RUN_C,
        ["{tmp}/c.yaml: evaluation.history records accuracy curves, which a regression task has not: "
         "expected false; got true"]),
    "csv: missing file": (CSV_CONFIG, RUN_CSV, ["{tmp}/d.csv: no such data file"]),
    "csv: empty file": ({**CSV_CONFIG, "d.csv": ""}, RUN_CSV, ["{tmp}/d.csv: the file has no data rows"]),
    "csv: ragged row": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4\n"}, RUN_CSV,
                        ["{tmp}/d.csv: row 3 has 2 columns; expected 3"]),
    "csv: NaN": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,NaN,q\n"}, RUN_CSV,
                 ["{tmp}/d.csv: row 3, column 2 (b): expected a finite number; got 'NaN'"]),
    "csv: text in a numeric column": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,q\n5,six,p\n"}, RUN_CSV,
                                      ["{tmp}/d.csv: row 4, column 2 (b): expected a number; got 'six'"]),
    "csv: a missing value": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n,4,q\n"}, RUN_CSV,
                             ["{tmp}/d.csv: row 3, column 1 (a): the value is missing"]),
    "csv: row numbers count blank lines": ({**CSV_CONFIG, "d.csv": "a,b,y\n\n1,2,p\n\n3,x,q\n"}, RUN_CSV,
                                           ["{tmp}/d.csv: row 5, column 2 (b): expected a number; got 'x'"]),
    "csv: three classes and a binary output layer": (
        # 10 rows of each class: enough for 10-fold CV, so that the output layer is the only problem
        {**CSV_CONFIG, "d.csv": "a,b,y\n" + "".join(f"{i},{i + 1},{'pqr'[i % 3]}\n" for i in range(30))}, RUN_CSV,
        # blamed on the file that wrote the output layer (the base reached through extends)
        [f"{CONFIGS / 'sonar_hidden.yaml'}: model.layers[4] must be the output layer dense(3, softmax) for the 3 "
         "classes in the data (d); got dense(1, sigmoid)"]),
    "csv: one class only": ({**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,p\n"}, RUN_CSV,
                            ["{tmp}/d.csv: column 3 (y): the label column must hold at least 2 classes; got 1: 'p'"]),
    "csv: too few rows of a class for k-fold (issue 9)": (
        {**CSV_CONFIG, "d.csv": "a,b,y\n1,2,p\n3,4,q\n5,6,p\n"}, RUN_CSV,
        ["{tmp}/c.yaml: evaluation: k-fold CV needs at least 2 rows of every class; class 'q' has 1 "
         "(class counts: p 2 / q 1); use more data or protocol: holdout"]),
    "csv: separated by semicolons (issue 9)": (
        {**CSV_CONFIG, "d.csv": "a;b;y\n1;2;p\n3;4;q\n"}, RUN_CSV,
        ["{tmp}/d.csv: expected at least 2 columns (features and a label); got 1 (the lines are separated by "
         "';', not ',': set data.delimiter: ';')"]),
    "csv: separated by tabs, without a header (issue 9)": (
        {"c.yaml": EXTENDS + "data: {dataset: csv, path: d.csv, header: false}\n", "d.csv": "1\t2\tp\n3\t4\tq\n"},
        RUN_CSV, ["{tmp}/d.csv: expected at least 2 columns (features and a label); got 1 (the lines are "
                  "separated by '\\t', not ',': set data.delimiter: '\\t')"]),
    # --- the output layer and loss against the data's classes ---
    "output: softmax with the wrong number of units": (
        {"c.yaml": DIGITS + DIGIT_OUTPUT.format(units=8, activation="softmax")}, RUN_C,
        ["{tmp}/c.yaml: model.layers[1].units must be 10 (one unit per class) for the 10 classes in the data "
         "(digits); got 8"]),
    "output: sigmoid on 10-class data": (
        {"c.yaml": DIGITS + DIGIT_OUTPUT.format(units=1, activation="sigmoid")
         + "training: {loss: binary_crossentropy}\n"}, RUN_C,
        ["{tmp}/c.yaml: model.layers[1] must be the output layer dense(10, softmax) for the 10 classes in the "
         "data (digits); got dense(1, sigmoid)"]),
    "output: softmax on binary data": (
        cfg("model:\n  layers:\n    - {type: dense, units: 8}\n    - {type: dense, units: 2, activation: softmax}\n"),
        RUN_C, ["{tmp}/c.yaml: model.layers[1] must be the output layer dense(1, sigmoid) for the 2 classes in the "
                "data (sonar); got dense(2, softmax)"]),
    "output: categorical loss on binary data": (
        {}, [*RUN, "--set", "training.loss=categorical_crossentropy"],
        [f"{SMOKE} (--set training.loss=categorical_crossentropy): training.loss must be binary_crossentropy "
         "for the 2 classes in the data (sonar); got 'categorical_crossentropy'"]),
    "output: sparse categorical loss on binary data": (
        {}, [*RUN, "--set", "training.loss=sparse_categorical_crossentropy"],
        [f"{SMOKE} (--set training.loss=sparse_categorical_crossentropy): training.loss must be "
         "binary_crossentropy for the 2 classes in the data (sonar); got 'sparse_categorical_crossentropy'"]),
    "output: binary loss on 10-class data": (
        {}, ["run", CONFIGS / "digits_mlp.yaml", "--out", "{tmp}/out", "--set", "training.loss=binary_crossentropy"],
        [f"{CONFIGS / 'digits_mlp.yaml'} (--set training.loss=binary_crossentropy): training.loss must be "
         "categorical_crossentropy or "
         "sparse_categorical_crossentropy for the 10 classes in the data (digits); got 'binary_crossentropy'"]),
    "digits: a class filter naming a class the data lacks": (
        {"c.yaml": DIGITS + "data: {dataset: digits, classes: [3, 5, 12]}\n"}, RUN_C,
        ["{tmp}/c.yaml: data.classes[2] must be one of the digits' classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9; got 12"]),
    "digits: an image view for a dense net": (
        {"c.yaml": DIGITS + "data: {dataset: digits, view: image}\n"}, RUN_C,
        [f"{CONFIGS / 'digits_mlp.yaml'}: model.layers[0] (dense) needs a flat input (features,); got (8, 8, 1) "
         "from the input; put a flatten (or a global average pooling) layer before it"]),
    # --- a user's arrays (dataset: npz) ---
    "npz: X and y lengths differ": (
        {**NPZ_CONFIG, "d.npz": npz(X=[[0.0, 1.0]] * 5, y=[0, 1, 0, 1])}, RUN_C,
        ["{tmp}/d.npz: X has 5 rows but y has 4 labels; they must have the same length"]),
    "npz: no y": ({**NPZ_CONFIG, "d.npz": npz(X=[[0.0, 1.0]] * 4)}, RUN_C,
                  ["{tmp}/d.npz: no array 'y' (the labels) in the file; arrays: X"]),
    # --- shipped studies (by name) ---
    "study: unknown name": ({}, ["run", "sonar_hiden", "--out", "{tmp}/out"],
                            ["sonar_hiden: no such config file, nor a shipped study; did you mean sonar_hidden? "
                             "Studies: circles_dropout, ", "(`dropout-lab studies` lists them)"]),
    "init: onto an existing file": ({"sonar_hidden.yaml": "mine\n"}, ["init", "sonar_hidden", "{tmp}"],
                                    ["{tmp}/sonar_hidden.yaml: the file exists; use --force to replace it"]),
    # --- a downloaded file in the data cache that fails its checksum, offline ---
    "mnist: not Keras' file, offline": (
        {"data/mnist.npz": b"not the file"}, ["run", "mnist_mlp", "--data-dir", "{tmp}/data", "--out", "{tmp}/out"],
        ["{tmp}/data/mnist.npz: SHA-256 ", "differs from the published 731c5ac60275...; the file is not used, and "
         "the download from http://127.0.0.1:9/mnist.npz failed"]),
    # --- sonar.csv in --data-dir ---
    "sonar: missing file, no network": (
        {"data/": None}, SONAR,
        ["{tmp}/data/sonar.csv: not found, and the download from http://127.0.0.1:9/sonar.all-data failed"]),
    "sonar: empty file": (sonar(lambda lines: []), SONAR, ["{tmp}/data/sonar.csv: the file has no data rows"]),
    "sonar: ragged row": (sonar(lambda lines: [*lines[:4], lines[4].split(",", 1)[1], *lines[5:]]), SONAR,
                          ["{tmp}/data/sonar.csv: row 5 has 60 columns; expected 61"]),
    "sonar: too few rows": (sonar(lambda lines: lines[:100]), SONAR,
                            ["{tmp}/data/sonar.csv: expected 208 rows of 61 columns; got 100 rows of 61"]),
    "sonar: NaN": (sonar(cell(3, 7, "nan")), SONAR,
                   ["{tmp}/data/sonar.csv: row 3, column 7: expected a finite number; got 'nan'"]),
    "sonar: text in a numeric column": (sonar(cell(3, 7, "abc")), SONAR,
                                        ["{tmp}/data/sonar.csv: row 3, column 7: expected a number; got 'abc'"]),
    "sonar: three label values": (sonar(cell(10, 61, "X")), SONAR,
                                  ["{tmp}/data/sonar.csv: row 10, column 61: label must be M or R; got 'X'"]),
    "sonar: one class only": (sonar(lambda lines: [line.replace(",R", ",M") for line in lines]), SONAR,
                              ["{tmp}/data/sonar.csv: column 61: expected label counts {'M': 111, 'R': 97}; "
                               "got {'M': 208, 'R': 0}"]),
    "sonar: a value above 1": (sonar(cell(3, 7, "1.5")), SONAR,
                               ["{tmp}/data/sonar.csv: row 3, column 7: sonar values must be in [0, 1]; got 1.5"]),
    "sonar: a value below 0": (sonar(cell(4, 2, "-0.1")), SONAR,
                               ["{tmp}/data/sonar.csv: row 4, column 2: sonar values must be in [0, 1]; got -0.1"]),
    "sonar: a changed value": (sonar(cell(1, 1, "0.0201")), SONAR,
                               ["{tmp}/data/sonar.csv: the values differ from the UCI Sonar data"]),
    # --- the output directory ---
    "out: path is a file": ({}, ["run", SMOKE, "--out", "{tmp}/out/earlier/folds.csv"],
                            ["{tmp}/out/earlier/folds.csv: the output path exists and is not a directory"]),
    "out: path under a regular file": ({}, ["run", SMOKE, "--out", "{tmp}/out/earlier/folds.csv/sub"],
                                       ["{tmp}/out/earlier/folds.csv/sub: cannot write results there: "
                                        "Not a directory"]),
    # --- checks against a reference ---
    "run --check: no reference run": (
        {}, [*RUN, "--check", "{tmp}/nowhere"],
        ["{tmp}/nowhere/smoke: no such run directory (--check needs the reference run of config smoke there)"]),
    "run --check: reference of another config": (
        {}, [*RUN, "--set", "training.epochs=3", "--check", f"{ROOT}/reference"],
        [f"{SMOKE} and {ROOT}/reference/smoke come from different configs (config hash ",
         "first difference: training.epochs = 3 vs 2"]),
    "check: no run directory": (reference_with(), ["check", "{tmp}/nope", "--against", "{tmp}/mine"],
                                ["{tmp}/nope: no such run directory"]),
    "check: folds.csv without a column": (
        reference_with(**{"folds.csv": "fold,split_seed,n_train,n_test\n1,7,138,70\n"}),
        ["check", "{tmp}/mine", "--against", f"{ROOT}/reference"],
        ["{tmp}/mine/folds.csv: missing column(s): test_accuracy"]),
    "check: reference is neither a run nor holds one": (
        reference_with(), ["check", "{tmp}/mine", "--against", "{tmp}/out"],
        ["{tmp}/out: not a run directory (no config.yaml, folds.csv or run.json), "
         "and it holds no run directory smoke"]),
    "run --check: reference without a dataset checksum": (
        reference_with("ref/smoke", **{"run.json": json.dumps({"config_hash": load_config(SMOKE).config_hash()})}),
        [*RUN, "--check", "{tmp}/ref"],
        ["{tmp}/ref/smoke/run.json: no dataset.checksum; cannot tell which data made the run"]),
    "check: malformed run.json": (reference_with(**{"run.json": "{"}),
                                  ["check", "{tmp}/mine", "--against", f"{ROOT}/reference"],
                                  ["{tmp}/mine/run.json: malformed JSON"]),
    "check: another config": (
        reference_with(**{"run.json": json.dumps({"config_hash": "c0ffee" * 10, "dataset": {"checksum": "x"}})}),
        ["check", "{tmp}/mine", "--against", f"{ROOT}/reference/smoke"],
        ["{tmp}/mine and " + f"{ROOT}/reference/smoke come from different configs (config hash c0ffeec0ffee... vs",
         "the config.yaml files do not differ; the hashes in run.json do"]),
}
# run in a real `python -m dropout_lab` process, as well as through click's runner
SUBPROCESS = {"config: --set without =", "sonar: NaN", "output: sigmoid on 10-class data", "study: unknown name",
              "mnist: not Keras' file, offline"}


@pytest.fixture
def workspace(tmp_path, sonar_env):
    """tmp_path with an earlier result directory in out/, and a function that snapshots the whole tree."""
    earlier = tmp_path / "out" / "earlier"
    earlier.mkdir(parents=True)
    (earlier / "folds.csv").write_text("fold,test_accuracy\n1,0.75\n")
    (earlier / "run.json").write_text('{"kept": true}\n')
    (tmp_path / "out" / "summary.md").write_text("# earlier\n")

    def snapshot():
        return {str(p.relative_to(tmp_path)): None if p.is_dir() else p.read_bytes()
                for p in sorted(tmp_path.rglob("*"))}

    return tmp_path, snapshot


def setup_case(tmp: Path, sonar_dir: Path, files: dict, args: list) -> list[str]:
    for name, content in files.items():
        path = tmp / name
        if name.endswith("/"):
            path.mkdir(parents=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if callable(content):
            content = "\n".join(content((sonar_dir / "sonar.csv").read_text().splitlines()))
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return [str(a).replace("{tmp}", str(tmp)) for a in args]


def check_error_line(stderr: str, expected: list[str], tmp: Path) -> None:
    assert "Traceback" not in stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    for part in expected:
        assert part.replace("{tmp}", str(tmp)) in lines[0], lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_error_line_and_loses_nothing(workspace, sonar_dir, case):
    tmp, snapshot = workspace
    files, args, expected = CASES[case]
    args = setup_case(tmp, sonar_dir, files, args)
    before = snapshot()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stdout == ""
    check_error_line(result.stderr, expected, tmp)
    assert snapshot() == before
    if case in SUBPROCESS:
        proc = subprocess.run([sys.executable, "-m", "dropout_lab", *args], capture_output=True, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 1 and proc.stdout == ""
        check_error_line(proc.stderr, expected, tmp)
        assert snapshot() == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_out_dir_not_writable(workspace):
    tmp, snapshot = workspace
    locked = tmp / "locked"
    locked.mkdir(mode=0o500)
    try:
        before = snapshot()
        result = CliRunner().invoke(main, ["run", str(SMOKE), "--out", str(locked / "out")])
        assert result.exit_code == 1
        check_error_line(result.stderr, [f"{locked / 'out'}: cannot write results there: Permission denied"], tmp)
        assert snapshot() == before
    finally:
        shutil.rmtree(locked, ignore_errors=True)


# image and sequence data (the digits 0 and 1 seen as 8x8x1 images or 8 steps of 8 pixels):
# id: (the digits view, the model's layers before the output layer, what the one Error line must contain)
SHAPED = {
    "conv2d after flatten": (
        "image", "[{type: flatten}, {type: conv2d, filters: 4, kernel_size: 3}]",
        "model.layers[1] (conv2d) needs an image (rows, cols, channels); got (64,) from model.layers[0] (flatten)"),
    "max_pooling2d below 1x1": (
        "image", "[{type: conv2d, filters: 4, kernel_size: 3}, {type: max_pooling2d}, {type: max_pooling2d}, "
                 "{type: max_pooling2d}, {type: flatten}]",
        "model.layers[3] (max_pooling2d) would shrink the map below 1x1: pool_size 2x2 needs at least 2x2 "
        "(padding: valid); got (1, 1, 4) from model.layers[2] (max_pooling2d)"),
    "dense on an image without flatten": (
        "image", "[{type: conv2d, filters: 4, kernel_size: 3}]",
        "model.layers[1] (dense) needs a flat input (features,); got (6, 6, 4) from model.layers[0] (conv2d); "
        "put a flatten (or a global average pooling) layer before it"),
    "kernel_size larger than the input": (
        "image", "[{type: conv2d, filters: 4, kernel_size: 9}, {type: flatten}]",
        "model.layers[0] (conv2d) has kernel_size 9x9, larger than its input (padding: valid); got (8, 8, 1) "
        "from the input; use a smaller kernel_size or padding: same"),
    "lstm on an image": (
        "image", "[{type: lstm, units: 4}]",
        "model.layers[0] (lstm) needs a sequence (steps, features); got (8, 8, 1) from the input"),
}


@pytest.mark.parametrize("case", list(SHAPED))
@pytest.mark.parametrize("command", ["run", "validate"])
def test_shape_errors_on_image_and_sequence_data(workspace, case, command):
    tmp, snapshot = workspace
    view, layers, expected = SHAPED[case]
    config = tmp / "c.yaml"
    config.write_text(f"{EXTENDS}data: {{dataset: digits, view: {view}, classes: [0, 1]}}\n"
                      f"model:\n  layers: [{layers[1:-1]}, {{type: dense, units: 1, activation: sigmoid}}]\n")
    args = [command, str(config), *(["--out", str(tmp / "out")] if command == "run" else [])]
    if "fused" in case:
        args += ["--set", "training.engine=fused"]
    before = snapshot()
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    check_error_line(result.stderr, [f"{config}: {expected}"], tmp)
    assert snapshot() == before
