"""Profile: one config's fused program, its trace (and XLA compile) apart from its training.

    python benchmarks/profile_fused_program.py CONFIG[:graph|:xla] ...

For each argument, one process-local program of the config's whole plan (every split one
stacked model, as ``dropout-lab run`` stacks them): the trace, then one call with one epoch
(with XLA: the compile), one more with one epoch, and one with the config's epochs.  The
program takes its epochs as an argument, so the three calls are one program: "compile" is
the first call less the second, "per step" the difference of the last two calls over the
extra epochs' steps.  XLA's persistent cache is off here (``DROPOUT_LAB_XLA_CACHE=off``
before the import) so that the compile is paid, as in a first run.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DROPOUT_LAB_XLA_CACHE", "off")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402

from dropout_lab.config import load_config  # noqa: E402
from dropout_lab.data import load_dataset  # noqa: E402
from dropout_lab.engines import tf_setup  # noqa: E402
from dropout_lab.engines.fused.prepare import prepare  # noqa: E402
from dropout_lab.engines.fused.task import Task  # noqa: E402
from dropout_lab.splits import plan  # noqa: E402


def _timed(program, args) -> float:
    start = time.perf_counter()
    for out in tf.nest.flatten(program(**args)):
        out.numpy()
    return time.perf_counter() - start


def profile(path: str, jit: bool) -> str:
    cfg = load_config(path)
    dataset = load_dataset(cfg.data)
    X, y = dataset.X.astype("float32"), dataset.y
    shape = tuple(dataset.input_shape) if len(dataset.input_shape) > 1 else None
    tasks = [Task(cfg, X[s.train], y[s.train], X[s.test], y[s.test], s.model_seed, shape) for s in plan(cfg, y)]
    program, args = prepare(tasks, cfg.evaluation.history, jit=jit)
    epochs, steps = cfg.training.epochs, int(args["steps"])
    start = time.perf_counter()
    program.get_concrete_function(**args)
    trace = time.perf_counter() - start
    one = dict(args, epochs=tf.constant(1))
    first, again = _timed(program, one), _timed(program, one)
    full = _timed(program, dict(args, epochs=tf.constant(epochs)))
    per_step = (full - again) / ((epochs - 1) * steps)
    return (f"{os.path.basename(path)} {'xla' if jit else 'graph'}: {len(tasks)} models, trace {trace:.2f} s, "
            f"compile {first - again:.2f} s, {epochs} epochs {full:.2f} s, {per_step * 1000:.2f} ms per step "
            f"({steps} steps per epoch)")


def main() -> None:
    tf_setup.configure()
    print("load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()), flush=True)
    for spec in sys.argv[1:]:
        path, _, mode = spec.partition(":")
        print(profile(path, mode == "xla"), flush=True)
    print("load average {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
