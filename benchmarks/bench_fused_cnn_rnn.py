"""Benchmark: the CNN and LSTM dropout studies on the SciKeras engine and on the fused engine,
and the Sonar baseline's fixed cost, in one run.

    python benchmarks/bench_fused_cnn_rnn.py [--configs A.yaml,B.yaml] [--rounds 1] [--before DIR|GIT-REF]

Every measurement is a fresh ``python -m dropout_lab run CONFIG ... --no-plots -q``
process (one after another), so "end-to-end s" is the whole process: interpreter start,
imports, data, training, scoring and files.  "train s" is the sum of the folds'
``fit_seconds`` (the fused engine's program time, tracing and XLA compiling included,
shared out over its folds; the SciKeras engine's fits one by one), and "fixed s" is
end-to-end minus train.

Variants per config: ``scikeras`` (``--engine scikeras``, one Keras model per fold),
``fused`` (``--engine fused --no-xla``: graph mode, what ``training.xla: auto`` picks for
conv and recurrent nets), ``xla`` (``--engine fused --xla``, XLA's persistent cache in a
fresh directory: every compile paid, as in a first run) and ``xla-cached`` (the same with
the cache ``xla`` filled: a second run of the study).  Every other process runs with the
cache off (``DROPOUT_LAB_XLA_CACHE=off``).  Then the Sonar baseline
(``configs/sonar_baseline.yaml``) on the fused engine (``training.xla`` at its default)
from this tree and, with ``--before``, from another checkout of the project or a git
commit of this one (extracted into a temporary directory with ``git archive``; the code
before a change): its end-to-end and fixed cost.  ``make bench`` runs this after
``benchmarks/bench_engines.py``, ``--before`` the commit before the fused engine learned
convolutions and recurrent layers.

Rounds run the variants interleaved, so drift on a shared machine hits all alike; the
tables show medians.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("configs/digits_cnn_dropout_spatial.yaml", "configs/digits_lstm_variational.yaml")
VARIANTS = {"scikeras": ["--engine", "scikeras"], "fused": ["--engine", "fused", "--no-xla"],
            "xla": ["--engine", "fused", "--xla"], "xla-cached": ["--engine", "fused", "--xla"]}


def run_once(tree: Path, config: str, options: list[str], cache: str = "off") -> dict:
    """One ``dropout-lab run`` process in ``tree`` (its code is the one imported): wall and training seconds."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "dropout_lab", "run", str(tree / config), *options,
                               "--out", out, "--no-plots", "-q"], cwd=tree, capture_output=True, text=True,
                              env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "DROPOUT_LAB_XLA_CACHE": cache})
        wall = time.perf_counter() - start
        if done.returncode:
            raise SystemExit(f"{config} {options} failed:\n{done.stderr[-2000:]}")
        folds = pd.read_csv(next(Path(out).glob("*/folds.csv")))
    return {"wall": wall, "train": float(folds["fit_seconds"].sum())}


def _tree(before: str, into: Path) -> Path:
    """``before`` as a directory to run: itself, or a git commit of this repository extracted into ``into``."""
    if Path(before).is_dir():
        return Path(before).resolve()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", before], capture_output=True, check=False)
    if archive.returncode:
        raise SystemExit(f"--before {before}: not a directory nor a commit: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def _load() -> str:
    return "load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--before", help="a checkout or a git commit: the Sonar baseline's figures before a change")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as before:
        _bench(args, _tree(args.before, Path(before)) if args.before else None)


def _bench(args, before: Path | None) -> None:
    configs, variants = args.configs.split(","), args.variants.split(",")
    print(f"shared machine, {os.cpu_count()} cores; at start: {_load()}")
    results: dict[tuple[str, str], list[dict]] = {}
    sonar: dict[str, list[dict]] = {}
    trees = {"after (this tree)": ROOT, **({f"before ({args.before})": before} if before else {})}
    caches = Path(tempfile.mkdtemp(prefix="xla-cache-"))
    for r in range(args.rounds):
        for config in configs:
            for variant in variants:
                # xla compiles into a fresh cache, xla-cached reads it (each round and config its own)
                cache = str(caches / f"{Path(config).stem}-{r}") if variant.startswith("xla") else "off"
                results.setdefault((config, variant), []).append(run_once(ROOT, config, VARIANTS[variant], cache))
        for name, tree in trees.items():
            sonar.setdefault(name, []).append(run_once(tree, "configs/sonar_baseline.yaml", ["--engine", "fused"]))
    shutil.rmtree(caches, ignore_errors=True)
    print(f"at end: {_load()}\n")
    print("| config | variant | train s | end-to-end s | fixed s | train speed-up vs scikeras | end-to-end speed-up |")
    print("|---|---|---|---|---|---|---|")
    for config in configs:
        base = results.get((config, "scikeras"))
        for variant in variants:
            runs = results[(config, variant)]
            train, wall = statistics.median(r["train"] for r in runs), statistics.median(r["wall"] for r in runs)
            ratio = (f"{statistics.median(r['train'] for r in base) / train:.1f}x | "
                     f"{statistics.median(r['wall'] for r in base) / wall:.1f}x") if base else "- | -"
            print(f"| {Path(config).stem} | {variant} | {train:.1f} | {wall:.1f} | {wall - train:.1f} | {ratio} |")
    print("\n| Sonar baseline, fused engine | train s | end-to-end s | fixed s |")
    print("|---|---|---|---|")
    for name, runs in sonar.items():
        train, wall = statistics.median(r["train"] for r in runs), statistics.median(r["wall"] for r in runs)
        print(f"| {name} | {train:.1f} | {wall:.1f} | {wall - train:.1f} |")
    print(f"\nmedians over {args.rounds} round(s)")


if __name__ == "__main__":
    main()
