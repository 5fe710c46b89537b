"""The Ray executor on a local cluster on loopback (num_cpus=2, no dashboard), one per module.

Small on purpose: a 2-cell sweep of smoke with 2 folds and 1 epoch (4 units)."""

import json
import logging
import os

import pandas as pd
import pytest

from dropout_lab import run_all
from dropout_lab.executors import KILL_HOOK

from .conftest import CONFIGS, SHARED_DATA

ray = pytest.importorskip("ray")

TINY = ["training.epochs=1", "evaluation.n_splits=2"]
SWEEP = ["model.layers[1].rate=0.0,0.5"]
CELLS = ("rate=0.0", "rate=0.5")
SAME = ["repeat", "fold", "split_seed", "model_seed", "n_train", "n_test", "test_accuracy", "train_accuracy",
        "test_loss"]


def data_dir():
    for candidate in (SHARED_DATA, os.environ.get("DROPOUT_LAB_DATA")):
        if candidate and (os.path.isfile(os.path.join(candidate, "sonar.csv"))):
            return candidate
    pytest.skip("no sonar.csv")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Ray started by the test on 127.0.0.1; its workers see the kill hook's path."""
    hook = tmp_path_factory.mktemp("hook") / "kill-next-worker"
    os.environ[KILL_HOOK] = str(hook)  # the raylet and its workers inherit the driver's environment
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level=logging.WARNING, log_to_driver=False)
    yield hook
    ray.shutdown()
    del os.environ[KILL_HOOK]


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    """The same sweep trained in this process: the numbers every executor must give."""
    out = tmp_path_factory.mktemp("local")
    run_all([CONFIGS / "smoke.yaml"], out, overrides=TINY, sweep=SWEEP, plots=False, data_dir=data_dir(),
            observers=[])
    return out


def same_tables(out, reference):
    for cell in CELLS:
        ours, ref = (pd.read_csv(d / "smoke" / cell / "folds.csv") for d in (out, reference))
        pd.testing.assert_frame_equal(ours[SAME], ref[SAME], check_exact=True)
        assert (out / "smoke" / cell / "predictions.csv").read_text() == \
            (reference / "smoke" / cell / "predictions.csv").read_text()
    assert (out / "smoke" / "sweep.csv").read_text() == (reference / "smoke" / "sweep.csv").read_text()


def test_a_sweep_on_ray_gives_the_numbers_of_one_process(cluster, local, tmp_path):
    outcome = run_all([CONFIGS / "smoke.yaml"], tmp_path, overrides=TINY, sweep=SWEEP, plots=False,
                      data_dir=data_dir(), executor="ray", observers=[])
    same_tables(tmp_path, local)
    info = json.loads((tmp_path / "smoke" / "rate=0.0" / "run.json").read_text())
    assert info["threads"]["executor"] == "ray" and info["threads"]["intra_op"] == 1
    assert not (tmp_path / "smoke" / ".journal").exists() and len(outcome.records) == 2
    assert ray.is_initialized()  # a cluster the caller started is left running


def test_a_unit_whose_worker_is_killed_is_retried_and_the_tables_are_unchanged(cluster, local, tmp_path):
    cluster.touch()  # the next worker to start a unit removes the file and SIGKILLs itself
    run_all([CONFIGS / "smoke.yaml"], tmp_path, overrides=TINY, sweep=SWEEP, plots=False, data_dir=data_dir(),
            executor="ray", observers=[])
    assert not cluster.exists()  # a worker was killed mid-run
    same_tables(tmp_path, local)
