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
