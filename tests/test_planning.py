"""A command's runs are resolved once (planning.py): each config file read once, each run's
splits planned once, its run id computed once, its summary computed once."""

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import ConfigError
from dropout_lab.planning import resolve
from dropout_lab.splits import plan

from .conftest import CONFIGS

TINY = ["--set", "training.epochs=1", "--set", "evaluation.n_splits=2"]


def _counting(monkeypatch, module, name: str, calls: Counter, key=lambda *args: None):
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls[(name, key(*args))] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)


@pytest.mark.parametrize("config, files", [
    ("sonar_hidden.yaml", ["sonar_hidden.yaml", "sonar_baseline.yaml"]),  # sonar_hidden extends sonar_baseline
    ("smoke.yaml", ["smoke.yaml", "sonar_hidden.yaml", "sonar_baseline.yaml"]),  # smoke extends sonar_hidden
])
def test_a_run_reads_each_file_once_and_plans_hashes_and_summarizes_once(sonar_env, tmp_path, monkeypatch,
                                                                           config, files):
    from dropout_lab import provenance
    from dropout_lab.config import loader
    from dropout_lab.preflight import data as preflight
    from dropout_lab.results import files as result_files
    from dropout_lab.results import rundir

    calls = Counter()
    _counting(monkeypatch, loader, "read_yaml", calls, key=lambda path: Path(path).name)
    _counting(monkeypatch, preflight, "plan", calls)
    _counting(monkeypatch, provenance, "run_id", calls)
    _counting(monkeypatch, rundir, "summarize", calls)
    _counting(monkeypatch, result_files, "summarize", calls)
    import dropout_lab.results as results

    _counting(monkeypatch, results, "summarize", calls)
    result = CliRunner().invoke(main, ["run", str(CONFIGS / config), *TINY, "--no-plots", "-q",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert {key: n for key, n in calls.items() if key[0] == "read_yaml"} == {("read_yaml", f): 1 for f in files}
    assert calls[("plan", None)] == 1 and calls[("run_id", None)] == 1
    assert calls[("summarize", None)] == 1


def test_a_sweep_is_resolved_from_one_read_into_cells_with_their_own_splits(sonar_env, monkeypatch):
    from dropout_lab.config import loader

    calls = Counter()
    _counting(monkeypatch, loader, "read_yaml", calls)
    found = resolve([CONFIGS / "smoke.yaml"], ["training.epochs=1"], ["model.layers[1].rate=0.0,0.5"])
    assert calls[("read_yaml", None)] == 3 and not found.plain  # smoke and the two files it extends, once each
    (sweep, cells), = found.sweeps
    assert [spec.name for spec in cells] == ["rate=0.0", "rate=0.5"] and found.names == ["smoke"]
    expected = plan(load_config(CONFIGS / "smoke.yaml"), cells[0].dataset.y)
    for spec in cells:
        assert spec.sweep is sweep and [(s.repeat, s.fold) for s in spec.splits] == [(1, 1), (1, 2), (1, 3)]
        assert all((a.train == b.train).all() for a, b in zip(spec.splits, expected, strict=True))
    assert cells[0].run_id != cells[1].run_id and cells[0].dataset is cells[1].dataset  # data loaded once


def test_two_configs_with_one_name_are_refused_before_anything_loads(sonar_env):
    with pytest.raises(ConfigError, match="name 'smoke' is used by more than one config in this run"):
        resolve([CONFIGS / "smoke.yaml", CONFIGS / "smoke.yaml"])
