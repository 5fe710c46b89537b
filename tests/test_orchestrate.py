"""The orchestration as a library (not through click): plan, executors, observers, reuse."""

import signal
import sys

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab import run_all
from dropout_lab.cli import main
from dropout_lab.errors import ConfigError
from dropout_lab.executors import ExtraMissing, LocalExecutor, ProcessExecutor, make_executor
from dropout_lab.orchestrate import Interrupted
from dropout_lab.tracking import Observer

from .conftest import CONFIGS, write

TINY = ["training.epochs=1", "evaluation.n_splits=2"]
SWEEP = ["model.layers[1].rate=0.0,0.5"]
ACCURACY = ["repeat", "fold", "split_seed", "model_seed", "test_accuracy", "train_accuracy", "test_loss"]


class Recorder(Observer):
    def __init__(self):
        self.events = []

    def run_started(self, run, resumed):
        self.events.append(("started", run.cfg.name, resumed))

    def fold_finished(self, run, fold):
        self.events.append(("fold", run.cfg.name, fold.key))

    def run_finished(self, run, record):
        self.events.append(("finished", run.cfg.name, record.reused))

    def sweep_finished(self, sweep, where, texts):
        self.events.append(("sweep", sweep.name, sorted(texts)))


def folds(out, *parts):
    return pd.read_csv(out.joinpath(*parts, "folds.csv"))[ACCURACY]


def test_run_all_local_then_processes_give_the_same_numbers_and_reuse(sonar_env, tmp_path):
    recorder = Recorder()
    # one split per cell: two units, one per process
    one_split = [*TINY, "evaluation={protocol: holdout, train_fraction: 0.5, shuffle: true, history: false}"]
    outcome = run_all([CONFIGS / "smoke.yaml"], tmp_path / "local", overrides=one_split, sweep=SWEEP, plots=False,
                      observers=[recorder])
    assert [record.path.name for record in outcome.records] == ["rate=0.0", "rate=0.5"] and outcome.ok
    assert recorder.events == [
        ("started", "rate=0.0", 0), ("fold", "rate=0.0", (1, 1)), ("finished", "rate=0.0", False),
        ("started", "rate=0.5", 0), ("fold", "rate=0.5", (1, 1)), ("finished", "rate=0.5", False),
        ("sweep", "smoke", ["sweep.csv", "sweep.md", "sweep.yaml"])]
    run_all([CONFIGS / "smoke.yaml"], tmp_path / "jobs", overrides=one_split, sweep=SWEEP, plots=False, jobs=2,
            observers=[])
    for cell in ("rate=0.0", "rate=0.5"):
        pd.testing.assert_frame_equal(folds(tmp_path / "jobs", "smoke", cell), folds(tmp_path / "local", "smoke", cell))
        info = pd.read_json(tmp_path / "jobs" / "smoke" / cell / "run.json", typ="series")
        assert info["threads"]["executor"] == "processes" and info["threads"]["jobs"] == 2
    again = Recorder()
    outcome = run_all([CONFIGS / "smoke.yaml"], tmp_path / "local", overrides=one_split, sweep=SWEEP, plots=False,
                      observers=[again])
    assert [event[0] for event in again.events] == ["finished", "finished", "sweep"]
    assert all(record.reused for record in outcome.records)


def test_the_journal_is_resumed_by_the_driver(sonar_env, tmp_path):
    """Folds journaled by an interrupted attempt are not trained again, whatever the executor."""
    from dropout_lab.journal import Journal

    first = Recorder()
    run_all([CONFIGS / "smoke.yaml"], tmp_path / "a", overrides=TINY, plots=False, observers=[first])
    run_json = pd.read_json(tmp_path / "a" / "smoke" / "run.json", typ="series")
    # plant fold (1, 1) of that run in a journal of a fresh OUT: only fold 2 trains
    from dropout_lab.config import load_config
    from dropout_lab.data import load_dataset
    from dropout_lab.provenance import run_id

    cfg = load_config(CONFIGS / "smoke.yaml", TINY)
    dataset = load_dataset(cfg.data)
    assert run_json["run_id"] == run_id(cfg, dataset)
    journal = Journal(tmp_path / "b", "smoke", run_id(cfg, dataset))
    second = Recorder()

    class Planter(Observer):
        def fold_finished(self, run, fold):
            if fold.key == (1, 1):  # the driver journaled it just before: a Ctrl-C now
                raise KeyboardInterrupt

    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(Interrupted, match=r"1 finished folds of smoke are saved in .*\.journal"):
            run_all([CONFIGS / "smoke.yaml"], tmp_path / "b", overrides=TINY, plots=False, observers=[Planter()])
    finally:
        signal.signal(signal.SIGINT, handler)  # the run left Ctrl-C ignored, as a process that exits does
    assert journal.path.is_file()
    assert not (tmp_path / "b" / "smoke").exists()
    run_all([CONFIGS / "smoke.yaml"], tmp_path / "b", overrides=TINY, plots=False, observers=[second])
    assert second.events == [("started", "smoke", 1), ("fold", "smoke", (1, 2)), ("finished", "smoke", False)]
    pd.testing.assert_frame_equal(folds(tmp_path / "b", "smoke"), folds(tmp_path / "a", "smoke"))
    assert not journal.path.exists()


@pytest.mark.parametrize("name, jobs, address, message", [
    (None, 0, None, "jobs must be a whole number >= 1; got 0"),
    ("threads", 1, None, "unknown executor 'threads'; valid: local, processes, ray"),
    ("processes", 2, "10.0.0.1:6379", "--address is a Ray cluster's address: it needs --executor ray"),
])
def test_bad_executor_options(name, jobs, address, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        make_executor(name, jobs, address)


def test_the_executor_follows_the_options():
    assert type(make_executor(None, 1)) is LocalExecutor
    assert type(make_executor(None, 3)) is ProcessExecutor and make_executor(None, 3).jobs == 3
    assert type(make_executor("local", 4)) is LocalExecutor


@pytest.mark.parametrize("args, missing, message", [
    (["--executor", "ray"], "ray", "Error: ray is not installed; install it with: pip install 'dropout-lab[ray]'"),
    (["--track", "mlflow"], "mlflow",
     "Error: mlflow is not installed; install it with: pip install 'dropout-lab[mlflow]'"),
])
def test_a_missing_extra_is_one_error_line(sonar_env, tmp_path, monkeypatch, args, missing, message):
    monkeypatch.setitem(sys.modules, missing, None)  # `import ray` raises ImportError
    result = CliRunner().invoke(main, ["run", str(CONFIGS / "smoke.yaml"), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 1 and result.output.strip() == message
    assert not (tmp_path / "out").exists()
    with pytest.raises(ExtraMissing):
        run_all([CONFIGS / "smoke.yaml"], tmp_path / "out", executor="ray" if missing == "ray" else None,
                track="mlflow" if missing == "mlflow" else None)


@pytest.mark.parametrize("args, message", [
    (["--jobs", "0"], "Error: Invalid value for '-j' / '--jobs': 0 is not in the range x>=1."),
    (["--executor", "threads"], "Error: Invalid value for '--executor': 'threads' is not one of 'local', "
                                "'processes', 'ray'."),
])
def test_bad_executor_options_on_the_command_line(sonar_env, tmp_path, args, message):
    result = CliRunner().invoke(main, ["run", str(CONFIGS / "smoke.yaml"), "--out", str(tmp_path / "out"), *args])
    assert result.exit_code == 2 and result.output.strip().splitlines()[-1] == message
    assert not (tmp_path / "out").exists()


def test_an_unreachable_ray_address_fails_fast_and_writes_nothing(sonar_env, tmp_path):
    pytest.importorskip("ray")
    import socket

    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = CliRunner().invoke(main, ["run", str(CONFIGS / "smoke.yaml"), "--out", str(tmp_path / "out"),
                                       "--executor", "ray", "--address", f"127.0.0.1:{port}"])
    assert result.exit_code == 1, result.output
    assert result.output.strip().splitlines() == [
        f"Error: cannot reach a Ray cluster at 127.0.0.1:{port} within 5 s: Connection refused; start one with "
        "`ray start --head` there, or leave out --address to run on a local Ray"]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("xla", ["false", pytest.param("true", marks=pytest.mark.slow)])  # XLA compiles: slow
def test_a_run_stacked_with_a_whole_command_equals_the_same_run_alone(sonar_env, tmp_path, xla):
    """The fused engine trains every run of a command that shares an architecture as one
    program (one call per architecture), and a run's folds stay those it gets alone, in
    graph mode with runs of other fold sizes (5-fold beside 3-fold: other padded widths) in
    its program; XLA, whose rounding depends on the widths, stacks only runs of equal widths."""
    from dropout_lab.engines import fused

    sweep = write(tmp_path / "sweep.yaml",
                  f"extends: {CONFIGS / 'smoke.yaml'}\nname: rates\nsweep:\n  model.layers[1].rate: [0.0, 0.2, 0.4]\n")
    wide = write(tmp_path / "wide.yaml",
                 f"extends: {CONFIGS / 'smoke.yaml'}\nname: wide\nevaluation: {{n_splits: 5}}\n")
    stacked = ["training.engine=fused", "training.epochs=4", f"training.xla={xla}"]
    calls, traces = fused.call_count(), fused.trace_count()
    outcome = run_all([sweep, wide, CONFIGS / "sonar_input.yaml"], tmp_path / "command", overrides=stacked,
                      repeats=2, plots=False, observers=[])
    assert len(outcome.records) == 5
    # two architectures: the cells with wide, and sonar_input; under XLA, wide's other widths are a program of its own
    assert fused.call_count() - calls == (3 if xla == "true" else 2)
    assert fused.trace_count() - traces <= 3
    run_all([CONFIGS / "smoke.yaml", wide], tmp_path / "alone", overrides=[*stacked, "model.layers[1].rate=0.2"],
            repeats=2, plots=False, observers=[], executor="processes", jobs=2)  # each run in its own process
    for alone, together in ((("smoke",), ("rates", "rate=0.2")), (("wide",), ("wide",))):
        a, b = (every_score(tmp_path / where, *parts) for where, parts in (("alone", alone), ("command", together)))
        assert len(a) == (6 if alone == ("smoke",) else 10)
        pd.testing.assert_frame_equal(a, b)
    assert not every_score(tmp_path / "command", "rates", "rate=0.4").equals(every_score(tmp_path / "alone", "smoke"))


def every_score(out, *parts):
    """A run's folds.csv as text, without its timing."""
    table = pd.read_csv(out.joinpath(*parts, "folds.csv"), dtype=str)
    return table.drop(columns="fit_seconds")


def test_ctrl_c_during_a_stacked_program_keeps_its_folds_then_stops(sonar_env, tmp_path, monkeypatch):
    """TensorFlow sees no signal until a program returns: the program's folds are journaled,
    the next program is not started, and the same command resumes from them."""
    import os

    from dropout_lab.engines import fused

    real = fused.group.train_group

    def interrupted(*args, **kwargs):
        out = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the program ran
        return out

    monkeypatch.setattr(fused.group, "train_group", interrupted)
    command = dict(overrides=["training.engine=fused", "training.epochs=2"], plots=False)
    calls = fused.call_count()
    with pytest.raises(Interrupted, match="finished folds"):
        run_all([CONFIGS / "smoke.yaml", CONFIGS / "sonar_input.yaml"], tmp_path, observers=[], **command)
    assert fused.call_count() - calls == 1  # sonar_input's program never started
    monkeypatch.setattr(fused.group, "train_group", real)
    recorder = Recorder()
    run_all([CONFIGS / "smoke.yaml", CONFIGS / "sonar_input.yaml"], tmp_path, observers=[recorder], **command)
    assert ("started", "smoke", 3) in recorder.events and ("started", "sonar_input", 0) in recorder.events
    assert not [e for e in recorder.events if e[0] == "fold" and e[1] == "smoke"]  # all from the journal


def test_quiet_prints_nothing_and_a_sweep_leaves_the_top_level_comparison_alone(sonar_env, tmp_path, capsys):
    out = tmp_path / "results"
    fused = [*TINY, "training.engine=fused", "training.xla=false"]
    run_all([CONFIGS / "sonar_baseline.yaml", CONFIGS / "sonar_input.yaml"], out, overrides=fused, plots=False,
            quiet=True)
    assert capsys.readouterr().out == ""
    before = {name: (out / name).read_text() for name in ("summary.md", "summary.csv")}
    assert "sonar_baseline" in before["summary.md"] and "sonar_input" in before["summary.md"]
    run_all([CONFIGS / "smoke.yaml"], out, overrides=fused, sweep=SWEEP, plots=False, quiet=True)
    assert capsys.readouterr().out == ""
    assert {name: (out / name).read_text() for name in before} == before
    assert (out / "smoke" / "sweep.md").is_file()
