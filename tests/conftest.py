import atexit
import functools
import http.server
import os
import shutil
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "configs"
SHARED_DATA = ROOT.parent / "shared" / "data"

# The fused engine's XLA cache (engines/xla_cache.py) in a temporary directory, not in the
# user's ~/.cache: set before any test module imports the engine; subprocesses inherit it.
os.environ["DROPOUT_LAB_XLA_CACHE"] = tempfile.mkdtemp(prefix="dropout-lab-test-xla-")
atexit.register(shutil.rmtree, os.environ["DROPOUT_LAB_XLA_CACHE"], True)

# pytest-xdist's workers share the cores: each worker's TensorFlow gets its share of them for
# an op (as loky gives each worker cores // workers for its BLAS), not a thread per core each,
# unless the user chose; subprocesses inherit it (engines/tf_setup.py leaves a chosen value).
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", str(max(1, (os.cpu_count() or 1) // _WORKERS)))


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """Any accidental download (Sonar, MNIST) goes to a closed loopback port, never the internet."""
    monkeypatch.setenv("DROPOUT_LAB_SONAR_URL", "http://127.0.0.1:9/sonar.all-data")
    monkeypatch.setenv("DROPOUT_LAB_MNIST_URL", "http://127.0.0.1:9/mnist.npz")
    monkeypatch.setenv("DROPOUT_LAB_UCI_URL", "http://127.0.0.1:9/uci")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def serve(tmp_path):
    """A loopback HTTP server over a directory of files; yields the directory and its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
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


def count_trained_runs(monkeypatch) -> list[str]:
    """From now on, the name of each config the SciKeras engine starts training (counted
    once per run, at its split (1, 1): a unit may be one split): the list, filled as runs go."""
    from dropout_lab.engines import scikeras

    calls = []
    real = scikeras.train

    def counting(cfg, *rest, **kwargs):
        if any((split.repeat, split.fold) == (1, 1) for split in rest[1]):
            calls.append(cfg.name)
        return real(cfg, *rest, **kwargs)

    monkeypatch.setattr(scikeras, "train", counting)  # each unit trains through it
    return calls
