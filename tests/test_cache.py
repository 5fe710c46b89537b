"""The data cache: where it is, verified and atomic downloads over loopback, a corrupted
cached file (downloaded again, or refused offline, never used), and `dropout-lab data`."""

import hashlib
from dataclasses import replace

import pytest
from click.testing import CliRunner

from dropout_lab import data
from dropout_lab.cli import main
from dropout_lab.data import RemoteFile, Sha256, cached_file, cached_files, data_dir_and_origin, fetch
from dropout_lab.errors import DataError

GOOD = b"the published bytes\n" * 20  # 400 bytes
OFFLINE = "http://127.0.0.1:9/toy.bin"  # a closed port: the download fails at once


def toy(payload: bytes = GOOD, url: str = OFFLINE) -> RemoteFile:
    return RemoteFile("toy", "toy.bin", url, Sha256(hashlib.sha256(payload).hexdigest()))


@pytest.mark.parametrize("given, env, expected, origin", [
    ("given", "from-env", "given", "--data-dir"),
    (None, "from-env", "from-env", "$DROPOUT_LAB_DATA"),
    (None, "", "{xdg}/dropout-lab", "the default"),  # set but empty: the default
    (None, None, "{xdg}/dropout-lab", "the default"),
])
def test_the_data_directory_is_the_first_of_option_environment_default(monkeypatch, tmp_path, given, env,
                                                                         expected, origin):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # platformdirs' Linux default honours it
    if env is None:
        monkeypatch.delenv("DROPOUT_LAB_DATA", raising=False)
    else:
        monkeypatch.setenv("DROPOUT_LAB_DATA", env)
    where, said = data_dir_and_origin(given)
    assert str(where) == expected.format(xdg=tmp_path / "xdg") and said == origin


def test_a_verified_download_is_kept_and_then_read_offline(tmp_path, serve):
    root, url = serve
    (root / "toy.bin").write_bytes(GOOD)
    target = cached_file(toy(url=f"{url}/toy.bin"), tmp_path / "cache")
    assert target == tmp_path / "cache" / "toy.bin" and target.read_bytes() == GOOD
    assert sorted(p.name for p in target.parent.iterdir()) == ["toy.bin"]  # no part file left
    (root / "toy.bin").unlink()
    assert cached_file(toy(url=OFFLINE), tmp_path / "cache") == target  # no network needed now


def test_a_file_url_works_too(tmp_path):
    source = tmp_path / "toy.bin"
    source.write_bytes(GOOD)
    assert cached_file(toy(url=source.as_uri()), tmp_path / "cache").read_bytes() == GOOD


def test_a_download_with_another_checksum_is_refused_and_nothing_is_kept(tmp_path, serve):
    root, url = serve
    (root / "toy.bin").write_bytes(GOOD + b"tampered")
    with pytest.raises(DataError) as err:
        cached_file(toy(url=f"{url}/toy.bin"), tmp_path / "cache")
    assert str(err.value).startswith(f"the file downloaded from {url}/toy.bin failed verification: SHA-256 ")
    assert "differs from the published" in str(err.value)
    assert not (tmp_path / "cache").exists()  # not even the directory


def test_a_corrupted_cached_file_is_downloaded_again(tmp_path, serve):
    root, url = serve
    (root / "toy.bin").write_bytes(GOOD)
    (tmp_path / "toy.bin").write_bytes(b"truncated")
    assert cached_file(toy(url=f"{url}/toy.bin"), tmp_path).read_bytes() == GOOD


def test_a_corrupted_cached_file_is_refused_offline_and_never_used(tmp_path):
    (tmp_path / "toy.bin").write_bytes(b"truncated")
    with pytest.raises(DataError) as err:
        cached_file(toy(), tmp_path)
    assert str(err.value).startswith(f"{tmp_path}/toy.bin: SHA-256 ")
    assert (f"; the file is not used, and the download from {OFFLINE} failed ([Errno 111] Connection refused) "
            "(delete it or put a verified copy there)") in str(err.value)
    assert (tmp_path / "toy.bin").read_bytes() == b"truncated"


def test_a_missing_file_offline_names_the_url_and_the_remedy(tmp_path):
    with pytest.raises(DataError) as err:
        cached_file(toy(), tmp_path / "d")
    assert str(err.value).startswith(f"{tmp_path}/d/toy.bin: not found, and the download from {OFFLINE} failed (")
    assert str(err.value).endswith(f"; put toy.bin in {tmp_path}/d or name its directory with --data-dir")
    with pytest.raises(DataError, match=r"the download from .* failed .*--data-dir"):
        fetch(toy(), tmp_path / "d")
    assert not (tmp_path / "d").exists()


def test_the_listing_says_size_and_verification(tmp_path):
    (tmp_path / "good.bin").write_bytes(GOOD)
    (tmp_path / "bad.bin").write_bytes(b"x")
    remotes = [replace(toy(), dataset="good", file="good.bin"), replace(toy(), dataset="bad", file="bad.bin"),
               replace(toy(), dataset="absent", file="absent.bin")]
    good, bad, absent = cached_files(remotes, tmp_path)
    assert (good.size, good.status) == (len(GOOD), "verified")
    assert bad.size == 1 and bad.status.startswith("fails verification, downloaded again on use: SHA-256 ")
    assert (absent.size, absent.status) == (None, f"not downloaded (on first use, from {OFFLINE})")


def test_the_data_command_lists_the_cache_and_downloads_on_request(tmp_path, serve, monkeypatch, sonar_dir):
    root, url = serve
    (root / "toy.bin").write_bytes(GOOD)
    monkeypatch.setitem(data.REMOTE_FILES, "toy", toy(url=f"{url}/toy.bin"))
    monkeypatch.setenv("DROPOUT_LAB_DATA", str(tmp_path / "cache"))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "sonar.csv").write_bytes((sonar_dir / "sonar.csv").read_bytes())
    result = CliRunner().invoke(main, ["data", "--download", "toy"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == (f"downloaded {tmp_path / 'cache' / 'toy.bin'} from {url}/toy.bin "
                                              "and verified it")
    lines = result.stdout.splitlines()
    assert lines[0] == f"data directory: {tmp_path / 'cache'} ($DROPOUT_LAB_DATA)"
    assert lines[1].split()[:4] == ["sonar", "sonar.csv", f"{(sonar_dir / 'sonar.csv').stat().st_size / 1000:.1f}",
                                    "kB"] and lines[1].endswith("  verified")
    assert lines[2].split()[:3] == ["mnist", "mnist.npz", "-"] and "not downloaded" in lines[2]
    assert lines[3].split()[:4] == ["toy", "toy.bin", f"{len(GOOD)}", "B"] and lines[3].endswith("  verified")
    other = CliRunner().invoke(main, ["data", "--data-dir", tmp_path / "other"])
    assert other.output.splitlines()[0] == f"data directory: {tmp_path / 'other'} (--data-dir)"
    assert not (tmp_path / "other").exists()  # listing creates nothing


def test_data_download_of_an_unknown_dataset_is_one_error_line(tmp_path):
    result = CliRunner().invoke(main, ["data", "--data-dir", tmp_path, "--download", "cifar10"])
    assert result.exit_code == 1
    assert result.output == "Error: --download cifar10: not a downloaded dataset; expected one of sonar, mnist\n"
