"""An installed tool brings its studies: the wheel carries every config in configs/, and a
wheel installed into a fresh virtual environment runs a study by name from an empty
directory, with the data from $DROPOUT_LAB_DATA or from the per-user data cache (offline)."""

import fnmatch
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import venv
from pathlib import Path

import pytest

from dropout_lab.catalog import STUDIES_DIR

from .conftest import CONFIGS, ROOT

OFFLINE = {"DROPOUT_LAB_SONAR_URL": "http://127.0.0.1:9/sonar.all-data",
           "DROPOUT_LAB_MNIST_URL": "http://127.0.0.1:9/mnist.npz"}


def test_the_wheel_carries_every_shipped_config():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert STUDIES_DIR.resolve() == CONFIGS.resolve()  # dropout_lab/studies is configs/
    for path in CONFIGS.rglob("*"):
        if path.is_file():
            package = ".".join(("dropout_lab", "studies", *path.relative_to(CONFIGS).parent.parts))
            assert package in setuptools["packages"], path
            assert any(fnmatch.fnmatch(path.name, p) for p in setuptools["package-data"].get(package, [])), path


def _setuptools_builds_this_project() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return tuple(int(part) for part in setuptools.__version__.split(".")[:2]) >= (77, 0)  # license = "MIT"


@pytest.mark.slow
@pytest.mark.skipif(not _setuptools_builds_this_project(),
                    reason="building the wheel offline needs setuptools >= 77 in this environment")
def test_an_installed_wheel_runs_a_study_by_name_from_an_empty_directory(tmp_path, sonar_dir):
    """Built and installed without the network: no build isolation, no dependencies fetched (the
    fresh environment sees this one's packages through a .pth file, after its own)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", tmp_path / "dist", ROOT], check=True, capture_output=True)
    wheel, = (tmp_path / "dist").glob("dropout_lab-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bin_dir = env_dir / "bin"
    site = Path(subprocess.run([bin_dir / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # this environment's packages (its site-packages and any PYTHONPATH entry), not this checkout
    paths = [p for p in sys.path if p and Path(p).is_dir() and Path(p).resolve() != ROOT.resolve()]
    (site / "zz_dependencies.pth").write_text("\n".join([sysconfig.get_path("purelib"), *paths]) + "\n")
    subprocess.run([bin_dir / "python", "-m", "pip", "install", "--no-deps", "--no-index", "-q", wheel], check=True)

    empty = tmp_path / "empty"
    empty.mkdir()
    base = {key: value for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "DROPOUT_LAB_DATA", "XDG_DATA_HOME")}
    base.update(OFFLINE, HOME=str(tmp_path / "home"))

    def tool(*args, **env):
        return subprocess.run([bin_dir / "dropout-lab", *map(str, args)], cwd=empty, env={**base, **env},
                              capture_output=True, text=True)

    where = subprocess.run([bin_dir / "python", "-c", "import dropout_lab; print(dropout_lab.__file__)"],
                           cwd=empty, env=base, capture_output=True, text=True).stdout
    assert where.startswith(str(site)), where  # the wheel's copy, not this checkout
    listed = tool("studies")
    assert listed.returncode == 0 and any(line.startswith("sonar_hidden ") for line in listed.stdout.splitlines())
    tiny = ["--set", "training.epochs=1", "--set", "evaluation.n_splits=2", "--no-plots", "-q"]
    ran = tool("run", "sonar_hidden", *tiny, DROPOUT_LAB_DATA=str(sonar_dir))
    assert ran.returncode == 0, ran.stderr
    assert (empty / "results" / "sonar_hidden" / "folds.csv").is_file()

    # the quick start offline: sonar.csv in the per-user cache (as `make sonar` leaves it), no $DROPOUT_LAB_DATA
    cache = tmp_path / "xdg" / "dropout-lab"
    cache.mkdir(parents=True)
    shutil.copy(sonar_dir / "sonar.csv", cache / "sonar.csv")
    offline = tool("run", "sonar_hidden", *tiny, "--out", "offline", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert offline.returncode == 0, offline.stderr
    assert (empty / "offline" / "sonar_hidden" / "folds.csv").is_file()
    listing = tool("data", XDG_DATA_HOME=str(tmp_path / "xdg"))
    assert listing.stdout.splitlines()[0] == f"data directory: {cache} (the default)"
    assert listing.stdout.splitlines()[1].endswith("  verified")
