"""Time the fused engine on the Sonar studies: 10 folds x 300 epochs, one train_tasks call.

    PYTHONPATH=. python scripts/bench_fused.py baseline|hidden|input|sweep [--jit] [--data-dir DIR]

``sweep`` trains the hidden-dropout config at rates 0.0, 0.1, ..., 0.5 (both dropout
layers) over the same 10 folds: 60 models in one call.  Prints the wall time of the call
(tracing and compiling included) and the mean (std) test accuracy per config.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.engines import Task, train_tasks
from dropout_lab.runner import fold_seed, splits

CONFIGS = Path(__file__).resolve().parents[1] / "configs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("study", choices=["baseline", "hidden", "input", "sweep"])
    parser.add_argument("--jit", action="store_true", help="compile with XLA")
    parser.add_argument("--data-dir", default=None)
    args = parser.parse_args()
    name = "sonar_hidden" if args.study == "sweep" else f"sonar_{args.study}"
    rates = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5] if args.study == "sweep" else [None]
    tasks, cells = [], []
    for rate in rates:
        sets = [] if rate is None else [f"model.layers[1].rate={rate}", f"model.layers[3].rate={rate}"]
        cfg = load_config(CONFIGS / f"{name}.yaml", sets)
        data = load_dataset(cfg.data, args.data_dir)
        X, y = data.X.astype("float32"), data.y
        for k, (train, test) in enumerate(splits(cfg, y), start=1):
            tasks.append(Task(cfg, X[train], y[train], X[test], y[test], fold_seed(cfg.seed, k)))
            cells.append(rate)
    start = time.perf_counter()
    rows = train_tasks(tasks, jit=args.jit)
    wall = time.perf_counter() - start
    print(f"{args.study}{' (XLA)' if args.jit else ''}: {len(tasks)} models in {wall:.2f} s")
    for rate in rates:
        acc = np.array([row["test_accuracy"] for row, cell in zip(rows, cells, strict=True) if cell == rate])
        label = name if rate is None else f"{name} rate {rate}"
        print(f"  {label}: {100 * acc.mean():.2f}% ({100 * acc.std():.2f}%)")


if __name__ == "__main__":
    main()
