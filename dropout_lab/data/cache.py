"""The data cache: where downloaded datasets are kept, and their verified download.

Like scikit-learn's ``get_data_home`` and Keras' ``~/.keras/datasets``: a dataset that
is downloaded (Sonar, MNIST) is fetched once into one per-user directory and every
command and the Python API read it there.  The directory is the first of ``--data-dir``
(``data_dir=``), ``$DROPOUT_LAB_DATA`` (when set and not empty) and the platform's
per-user data directory (``platformdirs.user_data_dir("dropout-lab")``:
``~/.local/share/dropout-lab`` on Linux).

A :class:`RemoteFile` names a file, where to download it and how to verify it.  A
download goes to a temporary file, is verified, and only then renamed into place; a
cached file is verified again on every use, and one that fails is downloaded again, or
refused when that fails: it is never used.  ``$DROPOUT_LAB_<NAME>_URL`` replaces a
file's URL (a mirror; the tests' loopback server).
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import DataError

log = logging.getLogger("dropout_lab")

ENV_DATA_DIR = "DROPOUT_LAB_DATA"
APP_NAME = "dropout-lab"


def resolve_data_dir(data_dir: str | Path | None = None) -> Path:
    """``--data-dir``, else ``$DROPOUT_LAB_DATA``, else the platform's per-user data directory."""
    return data_dir_and_origin(data_dir)[0]


def data_dir_and_origin(data_dir: str | Path | None = None) -> tuple[Path, str]:
    """The data directory and what chose it: ``--data-dir``, ``$DROPOUT_LAB_DATA`` or ``the default``."""
    if data_dir:
        return Path(data_dir), "--data-dir"
    if os.environ.get(ENV_DATA_DIR):
        return Path(os.environ[ENV_DATA_DIR]), f"${ENV_DATA_DIR}"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)), "the default"


class Sha256:
    """Verifies a file by the SHA-256 of its bytes (as Keras' ``get_file(file_hash=...)``)."""

    def __init__(self, expected: str):
        self.expected = expected

    def __call__(self, path: Path) -> None:
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != self.expected:
            raise DataError(f"{path}: SHA-256 {digest.hexdigest()[:12]}... differs from the published "
                            f"{self.expected[:12]}...")


@dataclass(frozen=True)
class RemoteFile:
    """A dataset's file that is downloaded: ``file`` in the data directory, from ``url``;
    ``verify(path)`` raises a :class:`DataError` naming what is wrong with it."""

    dataset: str
    file: str
    url: str
    verify: Callable[[Path], object]

    def source_url(self, url: str | None = None) -> str:
        """``url`` if given, else ``$DROPOUT_LAB_<DATASET>_URL``, else the file's own URL."""
        return url or os.environ.get(f"DROPOUT_LAB_{self.dataset.upper()}_URL") or self.url


class DownloadError(DataError):
    """The download itself failed (no network, no such URL); ``failure`` says how."""

    def __init__(self, remote: RemoteFile, data_dir: Path, failure: str):
        self.failure = failure
        super().__init__(f"{data_dir / remote.file}: {failure}; put {remote.file} in {data_dir} "
                         "or name its directory with --data-dir")


def cached_file(remote: RemoteFile, data_dir: Path, url: str | None = None) -> Path:
    """The verified file in ``data_dir``: the cached copy if it verifies, else a new download.

    Said only afterwards (a log line), so that a failure is one error and nothing else."""
    target = data_dir / remote.file
    if not target.is_file():
        try:
            return fetch(remote, data_dir, url)
        except DownloadError as exc:
            raise DataError(f"{target}: not found, and {exc.failure}; put {remote.file} in {data_dir} "
                            "or name its directory with --data-dir") from None
    try:
        remote.verify(target)
        return target
    except DataError as exc:
        problem = str(exc)
    try:
        fetch(remote, data_dir, url)
    except DownloadError as exc:
        raise DataError(f"{problem}; the file is not used, and {exc.failure} "
                        "(delete it or put a verified copy there)") from None
    log.warning("%s; replaced it with a verified download", problem)
    return target


def fetch(remote: RemoteFile, data_dir: Path, url: str | None = None) -> Path:
    """Download ``remote`` into ``data_dir``: to a temporary file, verified, then renamed into
    place.  Nothing is created on disk (not even ``data_dir``) unless the download verified."""
    url = remote.source_url(url)
    target = data_dir / remote.file
    with tempfile.TemporaryDirectory() as scratch:
        staged = Path(scratch) / Path(remote.file).name  # the file may sit in a subfolder of the data dir
        try:
            with urllib.request.urlopen(url, timeout=60) as response, open(staged, "wb") as out:
                while block := response.read(1 << 20):
                    out.write(block)
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise DownloadError(remote, data_dir, f"the download from {url} failed "
                                f"({getattr(exc, 'reason', None) or exc})") from None
        try:
            remote.verify(staged)
        except DataError as exc:
            problem = str(exc).removeprefix(f"{staged}: ")
            raise DataError(f"the file downloaded from {url} failed verification: {problem}") from None
        _move_into(staged, target)
    log.info("downloaded %s from %s and verified it", target, url)
    return target


@dataclass(frozen=True)
class CachedFile:
    """One row of ``dropout-lab data``: a remote file as the data directory holds it."""

    dataset: str
    path: Path
    size: int | None  # bytes; None: not downloaded
    problem: str | None  # why it fails verification; None: verified (or not downloaded)
    url: str

    @property
    def status(self) -> str:
        if self.size is None:
            return f"not downloaded (on first use, from {self.url})"
        return "verified" if self.problem is None else f"fails verification, downloaded again on use: {self.problem}"


def cached_files(remotes: Iterable[RemoteFile], data_dir: Path) -> list[CachedFile]:
    """Each remote file's state in ``data_dir``: its size and whether it verifies."""
    rows = []
    for remote in remotes:
        path = data_dir / remote.file
        size, problem = None, None
        if path.is_file():
            size = path.stat().st_size
            try:
                remote.verify(path)
            except DataError as exc:
                problem = str(exc).removeprefix(f"{path}: ")
        rows.append(CachedFile(remote.dataset, path, size, problem, remote.source_url()))
    return rows


def _move_into(staged: Path, target: Path) -> None:
    """Copy ``staged`` beside ``target`` and rename it over ``target``: readers see the old
    file or the new one, never a part."""
    tmp = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}-", suffix=".part")
        with os.fdopen(fd, "wb") as out, open(staged, "rb") as src:
            while block := src.read(1 << 20):
                out.write(block)
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise DataError(f"{target}: cannot save the downloaded data: {exc.strerror}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
