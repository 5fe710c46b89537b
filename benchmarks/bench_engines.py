"""Benchmark: the tutorial's own loop against dropout-lab's engines, interleaved in one run.

    python benchmarks/bench_engines.py [--config configs/sonar_baseline.yaml] [--epochs 300] [--rounds 3]

Variants (each measurement in a fresh subprocess, so peak memory is its own):

  tutorial   the tutorial's code as written: SciKeras ``cross_val_score`` over
             ``Pipeline(StandardScaler, KerasClassifier)`` with ``StratifiedKFold``
  scikeras   dropout-lab's SciKeras engine (``evaluate``), one process
  jobs2      the same with ``--jobs 2`` (worker memory is not in the peak column)
  fused      dropout-lab's fused engine in graph mode (``training.xla: false``)
  xla        the fused engine compiled with XLA (``training.xla: true``), compile included
  xla-cached the same with XLA's persistent cache warm (``engines/xla_cache.py``: what a
             second run of a study gets; the cache is filled by one untimed run first)
  sweep6     a 6-cell rate sweep (the config's first dropout rate, or the hidden-dropout
             model's, at 0.0..0.5) as ``dropout-lab run --engine fused --xla --sweep`` runs
             it (``run_all``, files written, no plots): all cells' folds stacked in one program
  sweep6-cells  the same 6 cells one after another, one program call per cell (XLA),
             as the CLI trained sweeps before command-wide stacking

Every variant but ``xla-cached`` runs with XLA's persistent cache off (every XLA compile paid).
Rounds run the variants interleaved (a, b, c, d, a, b, ...), so drift on a shared machine
hits all alike; the table shows medians and each variant's ratio to the tutorial loop
measured in the same run.  "train s" counts training and scoring (compiling included);
"end-to-end s" is the whole subprocess, so it adds the fixed cost (interpreter start and
imports of TensorFlow and dropout-lab), shown on its own line.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("tutorial", "scikeras", "jobs2", "fused", "xla", "xla-cached", "sweep6", "sweep6-cells")
RATES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def _tutorial(cfg, dataset) -> list[float]:
    """The tutorial's loop, kept as the tutorial writes it (only Keras 3's Input added)."""
    import keras
    from scikeras.wrappers import KerasClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    def create_baseline():
        model = keras.Sequential()
        model.add(keras.Input(shape=(60,)))
        model.add(keras.layers.Dense(60, activation="relu"))
        model.add(keras.layers.Dense(30, activation="relu"))
        model.add(keras.layers.Dense(1, activation="sigmoid"))
        sgd = keras.optimizers.SGD(learning_rate=0.01, momentum=0.8)
        model.compile(loss="binary_crossentropy", optimizer=sgd, metrics=["accuracy"])
        return model

    estimators = [("standardize", StandardScaler()),
                  ("mlp", KerasClassifier(model=create_baseline, epochs=cfg.training.epochs,
                                          batch_size=cfg.training.batch_size, verbose=0))]
    pipeline = Pipeline(estimators)
    kfold = StratifiedKFold(n_splits=cfg.evaluation.n_splits, shuffle=True, random_state=cfg.seed)
    return list(cross_val_score(pipeline, dataset.X.astype("float32"), dataset.y, cv=kfold))


def _swept(config: str, overrides: list[str]) -> tuple[str, int]:
    """The config a rate sweep varies and the index of its first dropout layer (sonar_hidden.yaml's
    when ``config`` has none)."""
    from dropout_lab import load_config

    cfg = load_config(config, overrides)
    index = next((i for i, layer in enumerate(cfg.model.layers) if layer.type == "dropout"), None)
    return (config, index) if index is not None else (str(ROOT / "configs" / "sonar_hidden.yaml"), 1)


def measure(variant: str, config: str, epochs: int) -> dict:
    """One measurement in this process: seconds, mean test accuracy, peak RSS."""
    import_start = time.perf_counter()
    import keras  # noqa: F401  (the fixed cost: measured here, not in the training seconds)
    import tensorflow  # noqa: F401

    from dropout_lab import load_config, load_dataset

    if variant != "tutorial":  # dropout-lab's own imports, part of its fixed cost
        from dropout_lab.evaluation import evaluate  # noqa: F401
    import_seconds = time.perf_counter() - import_start
    overrides = [f"training.epochs={epochs}"]
    if variant != "tutorial" and variant not in ("scikeras", "jobs2"):
        overrides.append("training.engine=fused")
    if variant not in ("tutorial", "scikeras", "jobs2"):
        overrides.append(f"training.xla={'false' if variant == 'fused' else 'true'}")
    cfg = load_config(config, overrides)
    dataset = load_dataset(cfg.data)
    start = time.perf_counter()
    if variant == "tutorial":
        scores = _tutorial(cfg, dataset)
    elif variant == "sweep6":
        import tempfile

        from dropout_lab import run_all

        config, index = _swept(config, overrides)
        with tempfile.TemporaryDirectory() as out:
            records = run_all([config], out, overrides=overrides, plots=False, observers=[],
                              sweep=[f"model.layers[{index}].rate={','.join(map(str, RATES))}"]).records
        scores = [a for record in records for a in record.folds["test_accuracy"]]
    elif variant == "sweep6-cells":
        from dropout_lab.evaluation import evaluate

        config, index = _swept(config, overrides)
        cells = [load_config(config, [*overrides, f"model.layers[{index}].rate={rate}"]) for rate in RATES]
        scores = [a for c in cells for a in evaluate(c, dataset).folds["test_accuracy"]]
    else:
        from dropout_lab.evaluation import (
            evaluate,  # its engine turns on TF op determinism: not for the tutorial's loop
        )

        scores = list(evaluate(cfg, dataset, jobs=2 if variant == "jobs2" else 1).folds["test_accuracy"])
    seconds = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"seconds": seconds, "accuracy": statistics.fmean(scores), "peak_mb": peak_kb / 1024,
            "import_seconds": import_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sonar_baseline.yaml"))
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--measure", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.config, args.epochs)))
        return
    variants = [v for v in args.variants.split(",") if v]
    runs: dict[str, list[dict]] = {v: [] for v in variants}
    cache = tempfile.mkdtemp(prefix="bench-xla-cache-")

    def measure_in_a_process(variant: str):
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
               "DROPOUT_LAB_XLA_CACHE": cache if variant == "xla-cached" else "off"}
        return subprocess.run(
            [sys.executable, __file__, "--measure", variant, "--config", args.config, "--epochs", str(args.epochs)],
            capture_output=True, text=True, check=True, env=env)

    if "xla-cached" in variants:
        measure_in_a_process("xla-cached")  # fills the cache, not timed
    for round_ in range(1, args.rounds + 1):
        for variant in variants:
            started = time.perf_counter()
            out = measure_in_a_process(variant)
            runs[variant].append({**json.loads(out.stdout.strip().splitlines()[-1]),
                                  "wall": time.perf_counter() - started})
            print(f"round {round_}/{args.rounds} {variant}: {runs[variant][-1]['seconds']:.1f} s", file=sys.stderr)
    base = statistics.median(r["seconds"] for r in runs[variants[0]])
    base_wall = statistics.median(r["wall"] for r in runs[variants[0]])
    print(f"\n{Path(args.config).name}, {args.epochs} epochs, median of {args.rounds} interleaved round(s), "
          f"{os.cpu_count()} CPUs\n")
    print(f"| variant | train s (median) | all runs | training speed-up vs {variants[0]} | end-to-end s "
          f"| end-to-end speed-up | mean test accuracy | peak MB |")
    print("|---|---|---|---|---|---|---|---|")
    for variant in variants:
        seconds = [r["seconds"] for r in runs[variant]]
        median = statistics.median(seconds)
        wall = statistics.median(r["wall"] for r in runs[variant])
        accuracy = statistics.fmean(r["accuracy"] for r in runs[variant])
        peak = max(r["peak_mb"] for r in runs[variant])
        print(f"| {variant} | {median:.1f} | {', '.join(f'{s:.1f}' for s in seconds)} | {base / median:.1f}x "
              f"| {wall:.1f} | {base_wall / wall:.1f}x | {accuracy:.4f} | {peak:.0f} |")
    shutil.rmtree(cache, ignore_errors=True)
    every = [r for rs in runs.values() for r in rs]
    fixed = statistics.median(r["wall"] - r["seconds"] for r in every)
    imports = statistics.median(r["import_seconds"] for r in every)
    print(f"\nfixed cost per process (median over every run): {fixed:.1f} s end-to-end minus training, "
          f"of which {imports:.1f} s importing TensorFlow and dropout-lab")


if __name__ == "__main__":
    main()
