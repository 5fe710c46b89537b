"""The Ray executor on a local cluster on loopback (num_cpus=2, no dashboard), one per module,
and on a head started with ``ray start`` as the README says (slow).

Small on purpose: a 2-cell sweep of smoke with 2 folds and 1 epoch (4 units)."""

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
import time
from pathlib import Path

import pandas as pd
import pytest

from dropout_lab import run_all
from dropout_lab.executors import KILL_HOOK

from .conftest import CONFIGS, ROOT, SHARED_DATA

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
    os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)  # else Ray writes one to the user's ~/.ray/auth_token
    ray.init(address="local", num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1",
             logging_level=logging.WARNING, log_to_driver=False)
    yield hook
    ray.shutdown()
    for name in (KILL_HOOK, "RAY_AUTH_TOKEN", "RAY_AUTH_MODE"):  # ray.init sets RAY_AUTH_MODE=token
        os.environ.pop(name, None)


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


# A Ray head started the README's way, on the Ray that `make install` pins: a token in
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
