"""The Ray executor on a local cluster on loopback (num_cpus=2, no dashboard, Ray's temp dir and
HOME in temporary directories), one per module, and on a head started with ``ray start`` as
the docs say (docs/guides/ray.md; slow).

Small on purpose: a 2-cell sweep of smoke with 2 folds and 1 epoch (4 SciKeras units, or 2
fused ones)."""

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dropout_lab import run_all
from dropout_lab.config import load_config
from dropout_lab.data import load_dataset
from dropout_lab.executors import Unit
from dropout_lab.executors.ray_worker import TrainingWorker
from dropout_lab.orchestrate import Interrupted
from dropout_lab.splits import plan
from dropout_lab.tracking import Observer

from .conftest import CONFIGS, ROOT, SHARED_DATA

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.serial  # a Ray cluster on the cores: `make test-slow` runs these alone

TINY = ["training.epochs=1", "evaluation.n_splits=2"]
SWEEP = ["model.layers[1].rate=0.0,0.5"]
CELLS = ("rate=0.0", "rate=0.5")
ENGINES = ("scikeras", "fused")
SAME = ["repeat", "fold", "split_seed", "model_seed", "n_train", "n_test", "test_accuracy", "train_accuracy",
        "test_loss"]


def data_dir():
    for candidate in (SHARED_DATA, os.environ.get("DROPOUT_LAB_DATA")):
        if candidate and (os.path.isfile(os.path.join(candidate, "sonar.csv"))):
            return candidate
    pytest.skip("no sonar.csv")


@pytest.fixture(scope="module")
def cluster():
    """A Ray started by the test on 127.0.0.1, its temp dir and HOME temporary."""
    saved = {name: os.environ.get(name) for name in ("HOME", "RAY_AUTH_TOKEN", "RAY_AUTH_MODE")}
    home = Path(tempfile.mkdtemp(prefix="dl-ray-home-"))
    temp = Path(tempfile.mkdtemp(prefix="dl-ray-"))  # short: Ray's socket paths must fit in 107 bytes
    os.environ["HOME"] = str(home)
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)  # else Ray writes one to ~/.ray/auth_token
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             _temp_dir=str(temp), logging_level=logging.WARNING, log_to_driver=False)
    yield
    ray.shutdown()
    for name, value in saved.items():  # ray.init sets RAY_AUTH_MODE=token
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(temp, ignore_errors=True)


@pytest.fixture(scope="module")
def references(tmp_path_factory):
    """The sweep trained in this process, by engine: the numbers every executor must give."""
    done = {}

    def reference(engine):
        if engine not in done:
            done[engine] = tmp_path_factory.mktemp(f"local-{engine}")
            run_all([CONFIGS / "smoke.yaml"], done[engine], overrides=TINY, sweep=SWEEP, plots=False,
                    data_dir=data_dir(), engine=engine, observers=[])
        return done[engine]

    return reference


@pytest.fixture(scope="module")
def local(references):
    return references("scikeras")


def same_tables(out, reference):
    for cell in CELLS:
        ours, ref = (pd.read_csv(d / "smoke" / cell / "folds.csv") for d in (out, reference))
        pd.testing.assert_frame_equal(ours[SAME], ref[SAME], check_exact=True)
        assert (out / "smoke" / cell / "predictions.csv").read_text() == \
            (reference / "smoke" / cell / "predictions.csv").read_text()
    assert (out / "smoke" / "sweep.csv").read_text() == (reference / "smoke" / "sweep.csv").read_text()


def run_sweep(out, engine="scikeras", observers=()):
    return run_all([CONFIGS / "smoke.yaml"], out, overrides=TINY, sweep=SWEEP, plots=False, data_dir=data_dir(),
                   engine=engine, executor="ray", observers=list(observers))


@pytest.mark.slow
def test_a_sweep_on_ray_gives_the_numbers_of_one_process(cluster, local, tmp_path):
    outcome = run_sweep(tmp_path)
    same_tables(tmp_path, local)
    info = json.loads((tmp_path / "smoke" / "rate=0.0" / "run.json").read_text())
    assert info["threads"]["executor"] == "ray" and info["threads"]["intra_op"] == 1
    assert not (tmp_path / "smoke" / ".journal").exists() and len(outcome.records) == 2
    assert ray.is_initialized()  # a cluster the caller started is left running


@pytest.mark.slow
def test_the_fused_engine_on_ray_gives_the_numbers_of_one_process(cluster, references, tmp_path):
    run_sweep(tmp_path, "fused")
    same_tables(tmp_path, references("fused"))


def units():
    """Three units of different configs and engines (smoke, 2 folds, 1 epoch), their datasets by key."""
    found, datasets = [], {}
    for i, (extra, engine) in enumerate([("model.layers[1].rate=0.5", "scikeras"), ("seed=3", "scikeras"),
                                         ("model.layers[1].rate=0.2", "fused")]):
        cfg = load_config(CONFIGS / "smoke.yaml", [*TINY, extra, f"training.engine={engine}"])
        dataset = load_dataset(cfg.data, data_dir())
        key = cfg.data.model_dump_json()
        datasets[key] = dataset
        found.append(Unit(i, i, cfg, key, tuple(plan(cfg, dataset.y))))
    return found, datasets


def folds_of(stream):
    """The folds one call's stream gives (the call's unit's)."""
    return [fold for index, folds in (ray.get(ref) for ref in stream) for fold in folds]


def same_folds(ours, theirs):
    assert [f.row() | {"fit_seconds": 0} for f in ours] == [f.row() | {"fit_seconds": 0} for f in theirs]
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(a.test_proba, b.test_proba)


@pytest.mark.slow
def test_units_trained_one_after_another_in_a_warm_worker_give_the_folds_of_fresh_processes(cluster):
    """Three workers train the three units, each in another order (A B C, B C A, C A B): each
    unit is the first of one fresh worker process and follows the others in the two warm ones."""
    todo, datasets = units()
    refs = {key: ray.put(dataset) for key, dataset in datasets.items()}
    actor = ray.remote(num_cpus=1)(TrainingWorker)
    sent = []  # every worker's calls sent at once (two train at a time: the cluster has 2 CPUs)
    for k in range(len(todo)):
        worker, order = actor.remote(1), todo[k:] + todo[:k]
        sent.append((worker, order, [(worker.train.options(num_returns="streaming").remote([unit], refs),
                                      worker.__ray_call__.remote(lambda self: os.getpid())) for unit in order]))
    fresh, warm = {}, {unit.index: [] for unit in todo}
    for worker, order, calls in sent:  # an actor runs its calls in the order they were sent
        for unit, (stream, _) in zip(order, calls, strict=True):
            if unit is order[0]:  # the first unit of a new process
                fresh[unit.index] = folds_of(stream)
            else:
                warm[unit.index].append(folds_of(stream))
        assert len({ray.get(pid) for _, pid in calls}) == 1  # one process trained them all
        ray.kill(worker)  # its CPU to the next worker
    for index, trained in warm.items():
        assert len(trained) == 2
        for ours in trained:
            same_folds(ours, fresh[index])


def busy_workers():
    """The pids of this process's Ray actors that are training now (Ray titles an actor's
    process ``ray::TrainingWorker.train`` while it runs that method)."""
    children: dict[int, list] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat, cmdline = (entry / "stat").read_text(), (entry / "cmdline").read_bytes()
            except OSError:  # gone meanwhile
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append((int(entry.name), cmdline.split(b"\0")[0].decode(errors="replace")))
    found, stack = [], [os.getpid()]
    while stack:  # the raylet is this process's child, its workers the raylet's
        for pid, title in children.get(stack.pop(), []):
            stack.append(pid)
            if title.startswith("ray::TrainingWorker.train"):
                found.append(pid)
    return found


class KillABusyWorker(Observer):
    """SIGKILL an actor in the middle of training, once: a thread started with the first run
    watches for an actor that is training and kills it (watching, not waiting in the driver:
    the driver tells ``run_started`` before it hands the unit out, so a wait there would see no
    actor training; a fast machine, where every unit may be done before a fold comes back,
    still has one killed)."""

    def __init__(self):
        self.killed = None
        self._done = threading.Event()
        self._watcher = threading.Thread(target=self._kill, daemon=True)

    def run_started(self, run, resumed):
        if self._watcher.ident is None:  # the first run: start watching
            self._watcher.start()

    def _kill(self) -> None:
        while self.killed is None and not self._done.wait(0.05):
            busy = busy_workers()
            if busy:
                os.kill(busy[0], signal.SIGKILL)
                self.killed = busy[0]

    def close(self):
        self._done.set()  # the run is over: stop watching
        if self._watcher.ident is not None:
            self._watcher.join()


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds the actors' processes in /proc")
@pytest.mark.parametrize("engine", ENGINES)
def test_a_unit_whose_actor_is_killed_is_retried_and_the_tables_are_unchanged(cluster, references, tmp_path,
                                                                                engine):
    killer = KillABusyWorker()
    run_sweep(tmp_path, engine, [killer])
    assert killer.killed is not None  # an actor died mid-unit
    same_tables(tmp_path, references(engine))


class StopAfterFirstFold(Observer):
    """Ctrl-C once the first fold is journaled; counts what each attempt trains and resumes."""

    def __init__(self, stop):
        self.stop, self.folds, self.resumed = stop, 0, 0

    def run_started(self, run, resumed):
        self.resumed += resumed

    def fold_finished(self, run, fold):
        self.folds += 1
        if self.stop:
            raise KeyboardInterrupt


@pytest.mark.slow
@pytest.mark.parametrize("engine", ENGINES)
def test_an_interrupted_ray_run_resumes_from_its_journal(cluster, references, tmp_path, engine):
    first = StopAfterFirstFold(stop=True)
    with pytest.raises(Interrupted, match="run the same command again to continue"):
        run_sweep(tmp_path, engine, [first])
    saved = sum(p.read_text().count("\n") for p in (tmp_path / "smoke").glob(".journal/*.jsonl"))
    assert saved >= 1
    second = StopAfterFirstFold(stop=False)
    run_sweep(tmp_path, engine, [second])
    assert second.resumed == saved and second.folds == 4 - saved  # the journaled folds are not trained again
    same_tables(tmp_path, references(engine))


# A Ray head started the docs' way (docs/guides/ray.md), on the Ray that `make install` pins: a token in
# ~/.ray/auth_token turns token authentication on. Everything in a temporary home and
# temporary directories; the head is stopped through its own process (`ray stop` would stop
# every Ray on the machine).

RAY = str(Path(sys.executable).with_name("ray"))


def free_ports(count):
    socks = [socket.socket() for _ in range(count)]
    for sock in socks:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in socks]
    for sock in socks:
        sock.close()
    return ports


def ray_env(home, **extra):
    """This environment without Ray's settings, in the temporary ``home``; Ray's single-machine
    mode keeps the head's and the client's addresses on 127.0.0.1."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("RAY_")}
    return {**env, "HOME": str(home), "PYTHONPATH": str(ROOT), "DROPOUT_LAB_DATA": data_dir(),
            "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", **extra}


def dropout_lab(home, *args, **env):
    return subprocess.run([sys.executable, "-m", "dropout_lab", *args], capture_output=True, text=True, cwd=ROOT,
                          env=ray_env(home, **env), timeout=600)


@pytest.fixture(scope="module")
def head():
    """`ray get-auth-token --generate` then `ray start --head` (loopback, 2 CPUs, no dashboard):
    yields (home, address)."""
    home = Path(tempfile.mkdtemp(prefix="dl-ray-home-"))
    temp = Path(tempfile.mkdtemp(prefix="dl-ray-"))  # short: Ray's socket paths must fit in 107 bytes
    port, client_port = free_ports(2)
    log = open(home / "head.log", "w+")
    proc = None
    try:
        subprocess.run([RAY, "get-auth-token", "--generate"], env=ray_env(home), check=True, capture_output=True)
        proc = subprocess.Popen(
            [RAY, "start", "--head", "--port", str(port), "--node-ip-address", "127.0.0.1", "--num-cpus", "2",
             "--include-dashboard=false", "--ray-client-server-port", str(client_port), "--temp-dir", str(temp),
             "--disable-usage-stats", "--block"],
            env=ray_env(home), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(600):  # a hung start fails the test rather than hanging it
            if "Ray runtime started" in (home / "head.log").read_text() or proc.poll() is not None:
                break
            time.sleep(0.5)
        assert "Ray runtime started" in (home / "head.log").read_text(), (home / "head.log").read_text()
        assert "Token authentication is enabled" in (home / "head.log").read_text()
        yield home, f"127.0.0.1:{port}"
    finally:
        if proc is not None:
            proc.terminate()  # the head stops its own processes
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        log.close()
        shutil.rmtree(home, ignore_errors=True)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.slow
def test_the_readme_cluster_steps_run_a_sweep_through_address(head, local, tmp_path):
    home, address = head
    proc = dropout_lab(home, "run", str(CONFIGS / "smoke.yaml"), "--executor", "ray", "--address", address,
                       *(f"--set={item}" for item in TINY), *(f"--sweep={item}" for item in SWEEP),
                       "--no-plots", "--out", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    same_tables(tmp_path, local)
    info = json.loads((tmp_path / "smoke" / "rate=0.0" / "run.json").read_text())
    assert info["threads"]["executor"] == "ray" and info["threads"]["address"] == address


@pytest.mark.slow
@pytest.mark.parametrize("token, mode, why", [
    pytest.param("0" * 64, None, "rejected the authentication token sent from here", id="another token"),
    pytest.param(None, None, "needs an authentication token and none was found here", id="no token"),
    pytest.param("head", "disabled", "needs an authentication token and RAY_AUTH_MODE=disabled here sends none",
                 id="the head's token, not sent"),
])
def test_a_client_the_cluster_rejects_gets_one_error_line_and_nothing_is_written(head, tmp_path, token, mode, why):
    home, address = head
    client = tmp_path / "home"
    (client / ".ray").mkdir(parents=True)
    if token:
        text = (home / ".ray" / "auth_token").read_text() if token == "head" else token
        (client / ".ray" / "auth_token").write_text(text)
    proc = dropout_lab(client, "run", str(CONFIGS / "smoke.yaml"), "--executor", "ray", "--address", address,
                       "--out", str(tmp_path / "out"), **({"RAY_AUTH_MODE": mode} if mode else {}))
    assert proc.returncode == 1 and proc.stdout == ""
    assert "Traceback" not in proc.stderr and "InvalidAuthToken" not in proc.stderr, proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.startswith("Error:")] == [
        f"Error: the Ray cluster at {address} {why}; put the head's token (`ray get-auth-token` on it) "
        "in ~/.ray/auth_token or RAY_AUTH_TOKEN here"]
    assert not (tmp_path / "out").exists()
