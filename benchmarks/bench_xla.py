"""Benchmark: graph mode against XLA for the fused engine, by the size of a program's work.

    python benchmarks/bench_xla.py

Each cell runs in a fresh subprocess, XLA's persistent cache off (every compile paid):
one ``train_tasks`` call of a config's planned splits (the first call: tracing, or XLA's
compile, included) and a second call of the same program.  ``work`` is what
``training.xla: auto`` weighs (``engines.fused.program_work``: models x training rows per
model x epochs x weights per model); the ``auto`` column is what it picks (XLA from
``XLA_AUTO_WORK``).  The XLA table of docs/studies/performance.md is this script's output.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELLS = [  # (label, config, epochs)
    ("smoke: 3 models x 2 epochs", "smoke.yaml", 2),
    ("Sonar baseline, 10 models x 10 epochs", "sonar_baseline.yaml", 10),
    ("Sonar baseline, 10 models x 30 epochs", "sonar_baseline.yaml", 30),
    ("Sonar baseline, 10 models x 100 epochs", "sonar_baseline.yaml", 100),
    ("circles, 30 models x 500 epochs", "circles_dropout.yaml", 500),
    ("Sonar baseline, 10 models x 300 epochs", "sonar_baseline.yaml", 300),
    ("Sonar hidden dropout, 10 models x 300 epochs", "sonar_hidden.yaml", 300),
    ("digits MLP, 10 models x 30 epochs", "digits_mlp.yaml", 30),
]


def measure(config: str, epochs: int, jit: bool) -> dict:
    from dropout_lab import load_config, load_dataset
    from dropout_lab.engines import fused
    from dropout_lab.splits import plan

    cfg = load_config(ROOT / "configs" / config, ["training.engine=fused", f"training.epochs={epochs}"])
    dataset = load_dataset(cfg.data)
    X, y = dataset.X.astype("float32"), dataset.y
    tasks = [fused.Task(cfg, X[s.train], y[s.train], X[s.test], y[s.test], s.model_seed) for s in plan(cfg, y)]
    seconds = []
    for _ in range(2):
        start = time.perf_counter()
        fused.train_tasks(tasks, jit=jit)
        seconds.append(time.perf_counter() - start)
    return {"work": fused.program_work(cfg, dataset), "first": seconds[0], "again": seconds[1],
            "auto": fused.use_xla(cfg.model_copy(update={"training": cfg.training.model_copy(update={"xla": "auto"})}),
                                  dataset)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        config, epochs, jit = args.measure
        print(json.dumps(measure(config, int(epochs), jit == "1")))
        return
    print(f"{os.cpu_count()} CPUs; seconds of one train_tasks call (first: tracing or compiling included)\n")
    print("| program | work | auto | graph, first | graph, again | XLA, first | XLA, again |")
    print("|---|---|---|---|---|---|---|")
    for label, config, epochs in CELLS:
        out = {}
        for jit in ("0", "1"):
            env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "DROPOUT_LAB_XLA_CACHE": "off"}
            proc = subprocess.run([sys.executable, __file__, "--measure", config, str(epochs), jit],
                                  capture_output=True, text=True, check=True, env=env)
            out[jit] = json.loads(proc.stdout.strip().splitlines()[-1])
        graph, xla = out["0"], out["1"]
        print(f"| {label} | {graph['work']:.1e} | {'XLA' if graph['auto'] else 'graph'} | {graph['first']:.2f} "
              f"| {graph['again']:.2f} | {xla['first']:.2f} | {xla['again']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
