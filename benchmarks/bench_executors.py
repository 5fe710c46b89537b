"""Benchmark: one Sonar rate sweep through each executor, on both engines, and Ray's start-up.

    python benchmarks/bench_executors.py [--epochs 30] [--fused-epochs 3000] [--jobs 2]

The sweep (configs/sonar_rate_sweep.yaml: 6 cells x 10 folds = 60 models) runs as the
command `dropout-lab run` in a fresh process per variant, on the SciKeras engine (epochs
reduced to ``--epochs``) and on the fused engine (``--fused-epochs``, 3000 by default: at
the config's 300 the whole sweep took 11.7 s end to end with ``--jobs 1`` on 2 idle cores,
mostly fixed cost that a second process or Ray pays again, so scale-out cannot pay there),
each variant with an empty XLA cache of its own (``DROPOUT_LAB_XLA_CACHE``), with:

- ``--jobs 1`` (this process);
- ``--executor processes --jobs N`` (N loky workers);
- ``--executor ray --address`` a Ray head the benchmark starts before and stops after
  (``ray start --head`` on 127.0.0.1, N CPUs, no dashboard, a token in a temporary HOME,
  Ray's files in a temporary directory): the cluster path of docs/guides/ray.md, on one machine;
- ``--executor ray --jobs N``: a local Ray that the command starts and stops itself.

The Ray variants run with HOME in a temporary directory that holds the head's token.

For each: wall time of the whole command (imports included; for the local Ray its start
and stop too), speed-up over ``--jobs 1``, the ratio to ``processes``, the driver's peak
RSS (workers not included), and whether folds.csv's accuracy columns equal ``--jobs 1``'s.
Then Ray's start-up on its own: ``ray start --head`` until the head is up, and, on that
head, N warm actors made and ready (each imports TensorFlow once).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RAY = str(Path(sys.executable).with_name("ray"))
SAME = ["repeat", "fold", "split_seed", "model_seed", "test_accuracy", "train_accuracy", "test_loss"]
DRIVER = """
import atexit, resource, sys
from dropout_lab.cli import main
atexit.register(lambda: open(sys.argv[1], "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
main(sys.argv[2:])
"""
ACTORS = """
import logging, sys, time
import ray
from dropout_lab.executors import use_local_token
from dropout_lab.executors.ray_worker import TrainingWorker
use_local_token()  # the head's token, from HOME
ray.init(address=sys.argv[1], logging_level=logging.WARNING, log_to_driver=False)
clock = time.perf_counter()
actor = ray.remote(num_cpus=1)(TrainingWorker)
workers = [actor.remote(1) for _ in range(int(sys.argv[2]))]
ray.get([w.__ray_ready__.remote() for w in workers])
print(time.perf_counter() - clock)
"""


def ray_env(home: Path) -> dict:
    """This environment without Ray's settings, in the temporary ``home``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAY_")}
    return {**env, "HOME": str(home), "PYTHONPATH": str(ROOT)}


@contextmanager
def ray_head(cpus: int):
    """``ray start --head`` on 127.0.0.1 (token authentication on, no dashboard); yields
    (its environment, its address, the seconds until it was up); stopped through its own
    process (``ray stop`` would stop every Ray on the machine)."""
    home, temp = Path(tempfile.mkdtemp(prefix="dl-bench-home-")), Path(tempfile.mkdtemp(prefix="dl-ray-"))
    socks = [socket.socket() for _ in range(2)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    port, client_port = (sock.getsockname()[1] for sock in socks)
    for sock in socks:
        sock.close()
    env, log, proc = ray_env(home), home / "head.log", None
    try:
        subprocess.run([RAY, "get-auth-token", "--generate"], env=env, check=True, capture_output=True)
        clock = time.perf_counter()
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [RAY, "start", "--head", "--port", str(port), "--node-ip-address", "127.0.0.1", "--num-cpus",
                 str(cpus), "--include-dashboard=false", "--ray-client-server-port", str(client_port),
                 "--temp-dir", str(temp), "--disable-usage-stats", "--block"],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        while "Ray runtime started" not in log.read_text():
            if proc.poll() is not None:
                raise SystemExit(f"ray start --head failed:\n{log.read_text()}")
            time.sleep(0.1)
        yield env, f"127.0.0.1:{port}", time.perf_counter() - clock
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(temp, ignore_errors=True)


def run_variant(config: str, engine: str, epochs: int, out: Path, extra: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and driver peak RSS (MiB) of one `dropout-lab run`."""
    rss = out.with_suffix(".rss")
    args = ["run", config, "--engine", engine, "--set", f"training.epochs={epochs}", "--out", str(out), "-q",
            "--no-plots", *extra]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", DRIVER, str(rss), *args], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, int(rss.read_text()) / 1024


def tables(out: Path) -> pd.DataFrame:
    frames = [pd.read_csv(p)[SAME].assign(cell=p.parent.name) for p in sorted(out.glob("*/*/folds.csv"))]
    return pd.concat(frames, ignore_index=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sonar_rate_sweep.yaml"))
    parser.add_argument("--epochs", type=int, default=30, help="epochs on the SciKeras engine")
    parser.add_argument("--fused-epochs", type=int, default=3000, help="epochs on the fused engine")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, and the Ray cluster's CPUs")
    parser.add_argument("--engines", default="scikeras,fused")
    args = parser.parse_args()
    jobs = str(args.jobs)
    print(f"{Path(args.config).name}; {os.cpu_count()} CPUs; python {sys.version.split()[0]}; "
          f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp, ray_head(args.jobs) as (head_env, address, head_seconds):
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        variants = {"--jobs 1": ([], env),
                    f"processes --jobs {jobs}": (["--executor", "processes", "--jobs", jobs], env),
                    f"ray --address ({jobs} CPUs)": (["--executor", "ray", "--address", address], head_env),
                    f"ray --jobs {jobs} (own Ray)": (["--executor", "ray", "--jobs", jobs], head_env)}
        print(f"{'engine':<10}{'epochs':>7}  {'variant':<26}{'wall s':>8}{'vs --jobs 1':>13}{'vs processes':>14}"
              f"{'driver MiB':>12}{'folds':>7}  same folds.csv as --jobs 1")
        for engine in [name for name in args.engines.split(",") if name]:
            epochs = args.epochs if engine == "scikeras" else args.fused_epochs
            base = first = processes = None
            for label, (extra, variant_env) in variants.items():
                out = Path(tmp) / engine / label.split(" (")[0].replace(" ", "").replace("-", "")
                cold = {**variant_env, "DROPOUT_LAB_XLA_CACHE": str(out.with_suffix(".xla"))}  # each compiles anew
                seconds, rss = run_variant(args.config, engine, epochs, out, extra, cold)
                table = tables(out)
                base, first = base or seconds, table if first is None else first
                processes = seconds if label.startswith("processes") else processes
                ratio = f"{seconds / processes:.2f}x" if processes and not label.startswith("--jobs") else ""
                same = table.drop(columns="cell").equals(first.drop(columns="cell"))
                print(f"{engine:<10}{epochs:>7}  {label:<26}{seconds:>8.1f}{base / seconds:>12.2f}x{ratio:>14}"
                      f"{rss:>12.0f}{len(table):>7}  {'yes' if same else 'NO'}", flush=True)
        ready = subprocess.run([sys.executable, "-c", ACTORS, address, jobs], env=head_env, check=True,
                               capture_output=True, text=True).stdout.split()[-1]
    print(f"\nRay start-up ({jobs} CPUs): `ray start --head` until up {head_seconds:.2f} s; "
          f"{jobs} warm actors made and ready (TensorFlow imported in each) {float(ready):.2f} s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
