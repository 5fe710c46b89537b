"""Benchmark: one Sonar rate sweep through each executor, and what Ray's start-up costs.

    python benchmarks/bench_executors.py [--epochs 30] [--config configs/sonar_rate_sweep.yaml]

The sweep (6 cells x 10 folds = 60 SciKeras trainings, epochs reduced) runs as the command
`dropout-lab run` in a fresh process per variant: ``--jobs 1``, ``--jobs 2`` and
``--executor ray`` (a local Ray with as many CPUs as ``--jobs``, default 2).  For each: wall
time of the whole command (imports, Ray start and stop included), speed-up over ``--jobs 1``,
the driver's peak RSS (workers not included), and whether folds.csv's accuracy columns equal
``--jobs 1``'s.  Then Ray's start-up alone: ``ray.init`` of a local Ray on 127.0.0.1, a first
no-op task in a fresh worker (``max_calls=1``), a task importing TensorFlow, ``ray.shutdown``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SAME = ["repeat", "fold", "split_seed", "model_seed", "test_accuracy", "train_accuracy", "test_loss"]
DRIVER = """
import atexit, resource, sys
from dropout_lab.cli import main
atexit.register(lambda: open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
main(sys.argv[2:])
"""


def run_variant(config: str, epochs: int, out: Path, extra: list[str]) -> tuple[float, float]:
    """Wall seconds and driver peak RSS (MiB) of one `dropout-lab run`."""
    rss = out.with_suffix(".rss")
    args = ["run", config, "--set", f"training.epochs={epochs}", "--out", str(out), "-q", "--no-plots", *extra]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", DRIVER, str(rss), *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, int(rss.read_text()) / 1024


def tables(out: Path) -> pd.DataFrame:
    frames = [pd.read_csv(p)[SAME].assign(cell=p.parent.name) for p in sorted(out.glob("*/*/folds.csv"))]
    return pd.concat(frames, ignore_index=True)


def ray_startup(cpus: int) -> list[tuple[str, float]]:
    import logging

    import ray

    steps = []
    clock = time.perf_counter()
    ray.init(address="local", num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level=logging.WARNING, log_to_driver=False)
    steps.append(("ray.init (local Ray on 127.0.0.1)", time.perf_counter() - clock))

    @ray.remote(max_calls=1, num_cpus=1)
    def noop():
        return os.getpid()

    @ray.remote(max_calls=1, num_cpus=1)
    def import_tf():
        import tensorflow  # noqa: F401

        return os.getpid()

    clock = time.perf_counter()
    ray.get(noop.remote())
    steps.append(("first no-op task (a fresh worker)", time.perf_counter() - clock))
    clock = time.perf_counter()
    ray.get(noop.remote())
    steps.append(("second no-op task (max_calls=1: another fresh worker)", time.perf_counter() - clock))
    clock = time.perf_counter()
    ray.get(import_tf.remote())
    steps.append(("a task importing TensorFlow (per unit, max_calls=1)", time.perf_counter() - clock))
    clock = time.perf_counter()
    ray.shutdown()
    steps.append(("ray.shutdown", time.perf_counter() - clock))
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sonar_rate_sweep.yaml"))
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2, help="workers for --jobs and CPUs of the local Ray")
    args = parser.parse_args()
    variants = {"--jobs 1": [], f"--jobs {args.jobs}": ["--jobs", str(args.jobs)],
                "--executor ray": ["--executor", "ray", "--jobs", str(args.jobs)]}
    print(f"{Path(args.config).name}, {args.epochs} epochs, SciKeras engine; {os.cpu_count()} CPUs; "
          f"python {sys.version.split()[0]}")
    rows, base, first = [], None, None
    with tempfile.TemporaryDirectory() as tmp:
        for label, extra in variants.items():
            out = Path(tmp) / label.replace(" ", "").replace("-", "")
            seconds, rss = run_variant(args.config, args.epochs, out, extra)
            table = tables(out)
            base = base or seconds
            first = table if first is None else first
            same = table.drop(columns="cell").equals(first.drop(columns="cell"))
            rows.append((label, seconds, base / seconds, rss, len(table), same))
    print(f"{'variant':<16}{'wall s':>9}{'speed-up':>10}{'driver peak MiB':>17}{'folds':>7}  "
          "same folds.csv as --jobs 1")
    for label, seconds, speed, rss, n, same in rows:
        print(f"{label:<16}{seconds:>9.1f}{speed:>9.2f}x{rss:>17.0f}{n:>7}  {'yes' if same else 'NO'}")
    print(f"\nRay start-up ({args.jobs} CPUs):")
    for step, seconds in ray_startup(args.jobs):
        print(f"  {step:<56}{seconds:>7.2f} s")


if __name__ == "__main__":
    main()
