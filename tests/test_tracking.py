"""MLflow tracking into a SQLite store in a temporary directory, read back with MlflowClient."""

import pandas as pd
import pytest
from click.testing import CliRunner

from dropout_lab import run_all
from dropout_lab.cli import main
from dropout_lab.tracking import TrackingError, check_uri, flatten, redact

from .conftest import CONFIGS

TINY = ["training.epochs=1", "evaluation.n_splits=2"]


@pytest.fixture(autouse=True)
def _artifacts_in_tmp(monkeypatch, tmp_path):
    """MLflow puts a SQLite store's artifacts under ./mlruns: keep them out of the project."""
    monkeypatch.chdir(tmp_path)



@pytest.mark.parametrize("uri, shown", [
    ("sqlite:////tmp/mlflow.db", "sqlite:////tmp/mlflow.db"),
    ("https://alice:s3cret@mlflow.example.org:5000/path", "https://alice:***@mlflow.example.org:5000/path"),
    ("https://tok3n@mlflow.example.org", "https://***@mlflow.example.org"),
    ("http://host:5000/?token=abc&x=1&api_key=zz", "http://host:5000/?token=***&x=1&api_key=***"),
    ("/local/mlruns", "/local/mlruns"),
])
def test_credentials_in_a_tracking_uri_are_redacted(uri, shown):
    assert redact(uri) == shown


@pytest.mark.parametrize("uri", ["foo://x", "ftp://host/mlruns", "http://[::1"])
def test_an_invalid_tracking_uri_is_refused(uri):
    with pytest.raises(TrackingError, match="invalid tracking URI"):
        check_uri(uri)


def test_flatten_names_params_by_key_path():
    assert flatten({"a": {"b": [1, {"c": None}]}, "d": []}) == {"a.b.0": "1", "a.b.1.c": "null", "d": "[]"}


def test_an_invalid_tracking_uri_on_the_command_line_is_one_error_line(sonar_env, tmp_path):
    pytest.importorskip("mlflow")
    result = CliRunner().invoke(main, ["run", str(CONFIGS / "smoke.yaml"), "--out", str(tmp_path / "out"),
                                       "--track", "mlflow", "--tracking-uri", "foo://bob:pw@host/x"])
    assert result.exit_code == 1
    assert result.output.strip() == ("Error: invalid tracking URI 'foo://bob:***@host/x': expected a path or a URI "
                                     "with one of the schemes file, sqlite, http, https, postgresql, mysql, mssql, "
                                     "databricks (e.g. sqlite:///mlruns.db)")
    assert not (tmp_path / "out").exists()


def test_a_sweep_is_a_parent_run_with_a_nested_run_per_cell(sonar_env, tmp_path):
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    # the fused engine in graph mode: both cells in one program (what is tracked does not depend on the engine)
    fused = ["training.engine=fused", "training.xla=false"]
    run_all([CONFIGS / "smoke.yaml"], tmp_path / "out", overrides=[*TINY, *fused, "evaluation.history=true"],
            sweep=["model.layers[1].rate=0.0,0.5"], plots=False, track="mlflow", tracking_uri=uri,
            experiment="tests", observers=[])
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("tests")
    runs = {run.info.run_name: run for run in client.search_runs([experiment.experiment_id])}
    assert sorted(runs) == ["rate=0.0", "rate=0.5", "smoke"]
    parent = runs["smoke"]
    assert sorted(a.path for a in client.list_artifacts(parent.info.run_id)) == ["sweep.csv", "sweep.md",
                                                                                 "sweep.yaml"]
    for cell in ("rate=0.0", "rate=0.5"):
        run, where = runs[cell], tmp_path / "out" / "smoke" / cell
        assert run.data.tags["mlflow.parentRunId"] == parent.info.run_id and run.info.status == "FINISHED"
        info = pd.read_json(where / "run.json", typ="series")
        assert run.data.tags["dropout_lab.config_hash"] == info["config_hash"]
        assert run.data.tags["dropout_lab.run_id"] == info["run_id"]
        assert run.data.tags["dropout_lab.dataset_checksum"] == info["dataset"]["checksum"]
        assert run.data.tags["dropout_lab.version.tensorflow"] == info["versions"]["tensorflow"]
        assert run.data.params["training.epochs"] == "1" and run.data.params["model.layers.1.rate"] == cell[5:]
        folds = pd.read_csv(where / "folds.csv")
        steps = sorted((m.step, m.value) for m in client.get_metric_history(run.info.run_id, "test_accuracy"))
        assert steps == list(zip(folds["fold"], folds["test_accuracy"], strict=True))
        assert run.data.metrics["mean_test_accuracy"] == pytest.approx(folds["test_accuracy"].mean())
        assert [m.step for m in client.get_metric_history(run.info.run_id, "epoch_train_loss")] == [1]
        artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
        assert {"config.yaml", "folds.csv", "summary.csv", "run.json", "history.csv"} <= artifacts


def test_a_tracking_failure_is_a_warning_unless_strict_and_credentials_never_show(sonar_env, tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "2")
    uri = "http://alice:s3cret@127.0.0.1:9/?token=t0ken"  # nothing listens on port 9
    args = ["run", str(CONFIGS / "smoke.yaml"), *(a for o in TINY for a in ("--set", o)), "-q", "--no-plots",
            "--track", "mlflow", "--tracking-uri", uri]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    warning = [line for line in result.stderr.splitlines() if line.startswith("Warning: MLflow tracking")]
    assert len(warning) == 1 and "alice:***@127.0.0.1:9" in warning[0] and "local results are kept" in warning[0]
    assert (tmp_path / "a" / "smoke" / "folds.csv").is_file()
    strict = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "b"), "--tracking-strict"])
    assert strict.exit_code == 1 and strict.output.startswith("Error: MLflow tracking at http://alice:***@")
    assert len(strict.output.strip().splitlines()) == 1 and not (tmp_path / "b").exists()
    for text in (result.output, strict.output, (tmp_path / "a" / "smoke" / "run.json").read_text()):
        assert "s3cret" not in text and "t0ken" not in text


def test_an_unreachable_tracker_is_one_line_of_ours_and_no_library_line(sonar_dir, tmp_path):
    """In a real process (the CLI's logging set-up): urllib3's retry warning stays quiet."""
    pytest.importorskip("mlflow")
    import os
    import subprocess
    import sys

    env = {**os.environ, "DROPOUT_LAB_DATA": str(sonar_dir), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
           "MLFLOW_HTTP_REQUEST_TIMEOUT": "2", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0"}
    args = ["run", str(CONFIGS / "smoke.yaml"), *(a for o in TINY for a in ("--set", o)), "-q", "--no-plots",
            "--engine", "fused", "--no-xla", "--track", "mlflow", "--tracking-uri", "http://127.0.0.1:9",
            "--out", str(tmp_path)]
    result = subprocess.run([sys.executable, "-m", "dropout_lab", *args], capture_output=True, text=True, env=env,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    ours = [line for line in result.stderr.splitlines() if line.startswith("Warning: ")]
    assert len(ours) == 1 and ours[0].startswith("Warning: MLflow tracking at http://127.0.0.1:9")
    assert "Retrying" not in result.stderr and "urllib3" not in result.stderr
