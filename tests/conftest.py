import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any accidental Sonar download goes to a closed loopback port, never the internet."""
    monkeypatch.setenv("DROPOUT_LAB_SONAR_URL", "http://127.0.0.1:9/sonar.all-data")


@pytest.fixture
def sonar_dir() -> Path:
    """The directory holding the real Sonar data: the shared copy, or $DROPOUT_LAB_DATA."""
    for candidate in (SHARED_DATA, os.environ.get("DROPOUT_LAB_DATA")):
        if candidate and (Path(candidate) / "sonar.csv").is_file():
            return Path(candidate)
    message = "no sonar.csv: put the shared copy at ../shared/data or set DROPOUT_LAB_DATA"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI must run every test)")
    pytest.skip(message)


@pytest.fixture
def sonar_env(monkeypatch, sonar_dir) -> Path:
    monkeypatch.setenv("DROPOUT_LAB_DATA", str(sonar_dir))
    return sonar_dir


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def shaped_csv(monkeypatch, tmp_path):
    """``make(shape)``: a binary CSV of ``prod(shape)`` features (24 rows, two classes) at
    ``tmp_path/shaped.csv``, whose loaded :class:`Dataset` says one sample has ``shape``
    (an image or a sequence), for the CLI until a dataset with such views exists."""
    import dataclasses
    import math

    import numpy as np

    from dropout_lab import orchestrate

    def make(shape: tuple[int, ...]) -> Path:
        n = math.prod(shape)
        values = np.random.default_rng(0).uniform(size=(24, n)).round(4)
        lines = [",".join([*(f"f{j}" for j in range(n)), "label"])]
        lines += [",".join([*map(str, row), "pq"[i % 2]]) for i, row in enumerate(values)]
        path = write(tmp_path / "shaped.csv", "\n".join(lines) + "\n")
        real = orchestrate.load_dataset
        monkeypatch.setattr(orchestrate, "load_dataset", lambda spec, data_dir=None: dataclasses.replace(
            real(spec, data_dir), input_shape=tuple(shape)))
        return path

    return make
