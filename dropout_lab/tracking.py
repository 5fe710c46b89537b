"""Observers of a command's runs: the console (see ``progress``) and experiment trackers (MLflow).

The driver (:mod:`dropout_lab.orchestrate`) calls every observer at the same events:
``run_started``, ``fold_finished``, ``run_finished``, ``comparison_written``,
``sweep_finished``, ``checked``, ``warning``, ``close``.  Only the driver calls them, so only
the driver talks to a tracker.

:class:`MlflowTracker` logs, per config (or sweep cell) one MLflow run: the flattened
resolved config as params; tags for the config hash, run id, dataset checksum and library
versions; per-fold scores as metrics with the fold's number as the step; the summary
(``mean_<score>``, ``std_<score>``); the mean per-epoch history as ``epoch_<column>`` with the
epoch as the step when recorded; and the run directory's files as artifacts.  A sweep is a
parent run with one nested run per cell and the sweep's files as its artifacts.

A tracking failure is a warning (the local results are written first and kept) unless
``strict``, when it is an error.  Credentials in a tracking URI (``user:pass@``, token-like
query parameters) are replaced by ``***`` in every message (:func:`redact`).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

from .errors import DropoutLabError

TRACKERS = ("mlflow",)
URI_SCHEMES = ("", "file", "sqlite", "http", "https", "postgresql", "mysql", "mssql", "databricks")
_SECRET_KEYS = re.compile(r"token|secret|password|passwd|pwd|key|auth|credential|signature|sig", re.I)


class TrackingError(DropoutLabError):
    """The tracker cannot be used or refused what was logged (with strict tracking)."""


class Observer:
    """Every event a run goes through; an observer overrides those it needs."""

    def warning(self, text: str) -> None: ...
    def run_started(self, run, resumed: int) -> None: ...
    def fold_finished(self, run, fold) -> None: ...
    def run_finished(self, run, record) -> None: ...
    def comparison_written(self, path: Path, text: str) -> None: ...
    def sweep_finished(self, sweep, where: Path, texts: dict[str, str]) -> None: ...
    def checked(self, report: str, ok: bool) -> None: ...
    def close(self) -> None: ...


def redact(uri: str | None) -> str:
    """``uri`` without credentials: a password in ``user:pass@`` and token-like query values become ``***``."""
    if not uri:
        return ""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return "***"
    text = uri
    if "@" in parts.netloc:  # rebuilt by hand: urlunsplit would drop an empty netloc (sqlite:////abs/path)
        userinfo, host = parts.netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        text = text.replace(parts.netloc, f"{user}:***@{host}" if ":" in userinfo else f"***@{host}", 1)
    if parts.query:
        query = urlencode([(k, "***" if _SECRET_KEYS.search(k) else v) for k, v in parse_qsl(parts.query, True)],
                          safe="*")
        text = text.replace(f"?{parts.query}", f"?{query}", 1)
    return text


def _scrub(text: str, uri: str | None) -> str:
    """``text`` with ``uri`` and any credentials it holds replaced by their redacted form."""
    if not uri:
        return text
    text = text.replace(uri, redact(uri))
    parts = urlsplit(uri)
    secrets = [v for k, v in parse_qsl(parts.query, True) if _SECRET_KEYS.search(k) and v]
    if parts.password:
        secrets.append(parts.password)
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def check_uri(uri: str) -> None:
    """Refuse a tracking URI MLflow cannot use, before anything runs."""
    try:
        scheme = urlsplit(uri).scheme.lower()
    except ValueError:
        scheme = None
    if scheme is None or (len(scheme) > 1 and scheme.split("+")[0] not in URI_SCHEMES):  # 1 letter: C:\...
        raise TrackingError(f"invalid tracking URI {redact(uri)!r}: expected a path or a URI with one of the "
                            f"schemes {', '.join(s for s in URI_SCHEMES if s)} (e.g. sqlite:///mlruns.db)")


def flatten(value, prefix: str = "") -> dict[str, str]:
    """``{"a": {"b": [1, {"c": 2}]}}`` -> ``{"a.b.0": "1", "a.b.1.c": "2"}`` (MLflow params)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list):
        out = {}
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}.{i}"))  # MLflow keys allow no brackets
        return out or {prefix: "[]"}
    return {prefix: "null" if value is None else str(value)}


class MlflowTracker(Observer):
    """Logs each finished run (and each sweep) to MLflow; see the module docstring."""

    def __init__(self, uri: str | None = None, experiment: str | None = None, strict: bool = False, warn=None):
        import os

        from .executors import import_extra

        import_extra("mlflow", "mlflow")
        self.uri = uri or os.environ.get("MLFLOW_TRACKING_URI") or None
        if self.uri:
            check_uri(self.uri)
        self.experiment = experiment or "dropout-lab"
        self.strict = strict
        self._warn = warn or (lambda text: None)
        self._client = None
        self._experiment_id = None
        self._parents: dict[str, str] = {}  # sweep name -> parent run id
        self.disabled = False

    def start(self) -> None:
        """Connect and find (or create) the experiment: before training, so a strict failure writes nothing."""
        self._guard("connect to", self._connect)

    def _connect(self) -> None:
        import os

        # a tracking server that is down should cost seconds, not MLflow's minutes of retries
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
        os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
        from mlflow.tracking import MlflowClient

        self._client = MlflowClient(tracking_uri=self.uri)
        found = self._client.get_experiment_by_name(self.experiment)
        self._experiment_id = found.experiment_id if found else self._client.create_experiment(self.experiment)

    def _guard(self, what: str, action, *args):
        if self.disabled:
            return None
        try:
            return action(*args)
        except Exception as exc:  # noqa: BLE001 - any tracker failure: a warning or, strict, one error
            lines = [line for line in str(exc).strip().splitlines() if line.strip()]
            text = _scrub(f"MLflow tracking at {self.uri or '(default ./mlruns)'}: cannot {what}: "
                          f"{lines[0] if lines else type(exc).__name__}", self.uri)
            if self.strict:
                raise TrackingError(text) from None
            self.disabled = True
            self._warn(f"{text}; tracking is off for the rest of this run (local results are kept)")
            return None

    def run_finished(self, run, record) -> None:
        self._guard(f"log run {run.cfg.name}", self._log_run, run, record)

    def sweep_finished(self, sweep, where: Path, texts: dict[str, str]) -> None:
        def finish():
            parent = self._parent(sweep.name, where)
            for filename in ("sweep.yaml", "sweep.csv", "sweep.md", "sweep.png"):
                if (where / filename).is_file():
                    self._client.log_artifact(parent, str(where / filename))
            self._client.set_terminated(parent)

        self._guard(f"log sweep {sweep.name}", finish)

    def _parent(self, name: str, where: Path) -> str:
        if name not in self._parents:
            run = self._client.create_run(self._experiment_id, run_name=name,
                                          tags={"dropout_lab.sweep": name, "dropout_lab.out": str(where)})
            self._parents[name] = run.info.run_id
        return self._parents[name]

    def _log_run(self, run, record) -> None:
        from mlflow.entities import Metric, Param

        info, client = record.info, self._client
        tags = {"dropout_lab.config_hash": info.get("config_hash", ""), "dropout_lab.run_id": info.get("run_id", ""),
                "dropout_lab.dataset_checksum": (info.get("dataset") or {}).get("checksum", ""),
                "dropout_lab.reused": str(record.reused).lower(), "dropout_lab.path": str(record.path),
                **{f"dropout_lab.version.{k}": v for k, v in (info.get("versions") or {}).items()}}
        if run.sweep is not None:
            tags["mlflow.parentRunId"] = self._parent(run.sweep.name, run.out)
        created = client.create_run(self._experiment_id, run_name=run.cfg.name, tags=tags)
        run_id = created.info.run_id
        params = [Param(k, v[:6000]) for k, v in flatten(run.cfg.to_dict()).items()]
        now = int(time.time() * 1000)
        metrics = []
        per_repeat = int(record.folds["fold"].max())
        for row in record.folds.to_dict(orient="records"):
            step = (int(row["repeat"]) - 1) * per_repeat + int(row["fold"])
            metrics += [Metric(k, float(v), now, step) for k, v in row.items()
                        if k not in ("repeat", "fold", "split_seed", "model_seed", "n_train", "n_test")
                        and v == v]  # NaN (an undefined score) is left out
        for metric, stats in record.summary.iterrows():
            metrics += [Metric(f"mean_{metric}", float(stats["mean"]), now, 0),
                        Metric(f"std_{metric}", float(stats["std"]), now, 0)]
        if record.history is not None:
            means = record.history.drop(columns=["repeat", "fold"]).groupby("epoch").mean()
            for epoch, row in means.iterrows():
                metrics += [Metric(f"epoch_{k}", float(v), now, int(epoch)) for k, v in row.items() if v == v]
        for start in range(0, len(params), 100):  # MLflow's limits per batch: 100 params, 1000 metrics
            client.log_batch(run_id, params=params[start:start + 100])
        for start in range(0, len(metrics), 1000):
            client.log_batch(run_id, metrics=metrics[start:start + 1000])
        client.set_tag(run_id, "dropout_lab.executor", str((info.get("threads") or {}).get("executor", "")))
        client.log_artifacts(run_id, str(record.path))
        client.set_terminated(run_id)


def make_tracker(track: str | None, uri: str | None = None, experiment: str | None = None, strict: bool = False,
                 warn=None) -> Observer | None:
    """The tracker ``track`` names (None: no tracking), checked but not yet connected."""
    if track is None:
        if uri or experiment:
            raise TrackingError("--tracking-uri and --experiment need --track mlflow")
        return None
    if track not in TRACKERS:
        raise TrackingError(f"unknown tracker {track!r}; valid: {', '.join(TRACKERS)}")
    return MlflowTracker(uri, experiment, strict, warn)
