"""The UCI benchmark folders: parsing and checking the format, reading from the data cache,
verified downloads over loopback (a corrupt file refused), the shared copy, the config key."""

import hashlib

import numpy as np
import pytest
from click.testing import CliRunner

from dropout_lab.config import UCI_SETS
from dropout_lab.data.uci import UCI_FOLDER, load_uci_set, read_uci, uci_files
from dropout_lab.data.uci_sha256 import UCI_SHA256
from dropout_lab.errors import ConfigError, DataError
from dropout_lab.gal import load_protocol
from dropout_lab.gal.__main__ import main as gal_main

from .conftest import SHARED_DATA, write

DATA = "1 2 10.5\n3 4 11.5\n5 6 12.5\n7 8 13.5\n9 10 14.5\n11 12 15.5\n"  # 6 rows: 2 features, a target


def tiny_files(n_splits: int = 2) -> dict[str, str]:
    """A folder of the benchmark's format: 6 rows, splits of 4 training and 2 test rows."""
    files = {"data.txt": DATA, "index_features.txt": "0\n1\n", "index_target.txt": "2\n",
             "n_splits.txt": f"{n_splits}\n", "n_hidden.txt": "50\n", "n_epochs.txt": "40\n",
             "dropout_rates.txt": "0.005\n0.05\n", "tau_values.txt": "0.25\n0.5\n"}
    for k in range(n_splits):
        rows = np.roll(np.arange(6), k)
        files[f"index_train_{k}.txt"] = "".join(f"{i}\n" for i in rows[:4])
        files[f"index_test_{k}.txt"] = "".join(f"{i}\n" for i in rows[4:])
    return files


def make_folder(root, files, name="tiny"):
    for file, text in files.items():
        write(root / name / file, text)
    return root / name


def sums(files) -> dict[str, dict[str, str]]:
    return {"tiny": {file: hashlib.sha256(text.encode()).hexdigest() for file, text in files.items()}}


def test_a_folder_is_parsed_into_rows_target_splits_and_grid(tmp_path):
    uci = read_uci(make_folder(tmp_path, tiny_files()))
    assert uci.X.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8], [9, 10], [11, 12]]
    assert uci.y.tolist() == [10.5, 11.5, 12.5, 13.5, 14.5, 15.5]
    assert [train.tolist() for train, _ in uci.splits] == [[0, 1, 2, 3], [5, 0, 1, 2]]
    assert [test.tolist() for _, test in uci.splits] == [[4, 5], [3, 4]]
    X_train, y_train, X_test, y_test = uci.split(1)
    assert X_train[0].tolist() == [11, 12] and y_test.tolist() == [13.5, 14.5]  # rows in the file's order
    assert (uci.dropout_rates, uci.tau_values, uci.n_hidden, uci.n_epochs) == ((0.005, 0.05), (0.25, 0.5), 50, 40)


@pytest.mark.parametrize("file, text, message", [
    ("data.txt", "1 2 3\n4 x 6\n", "data.txt: expected whitespace-separated numbers"),
    ("data.txt", "1 2 3\n4 5\n", "data.txt: expected whitespace-separated numbers"),
    ("data.txt", "1 2 nan\n", "data.txt: line 1: expected finite numbers"),
    ("index_target.txt", "3\n", "index_target.txt: expected 0-based column indices 0..2. Received: 3"),
    ("index_target.txt", "1\n2\n", "index_target.txt: expected 1 column index. Received: 2 numbers"),
    ("index_target.txt", "1\n", "index_target.txt: the target column 1 is also a feature column"),
    ("index_train_1.txt", "0\n1\n1.5\n", "index_train_1.txt: expected 0-based row indices 0..5. Received: 1.5"),
    ("index_train_1.txt", "0\n1\n1\n", "index_train_1.txt: row 1 is listed twice"),
    ("index_test_0.txt", "3\n4\n", "index_test_0.txt: row 3 is in split 0's training part too"),
    ("n_splits.txt", "0\n", "n_splits.txt: expected one integer >= 1. Received: [0.0]"),
    ("dropout_rates.txt", "0.5\n1.0\n", "dropout_rates.txt: expected dropout rates in [0, 1). Received: [0.5, 1.0]"),
    ("tau_values.txt", "", "tau_values.txt: the file holds no numbers"),
])
def test_a_malformed_folder_is_one_error_naming_the_file(tmp_path, file, text, message):
    files = {**tiny_files(), file: text}
    with pytest.raises(DataError) as err:
        read_uci(make_folder(tmp_path, files))
    assert message in str(err.value) and "\n" not in str(err.value)
    assert str(err.value).startswith(str(tmp_path / "tiny" / file))


def test_a_missing_split_file_is_named(tmp_path):
    files = tiny_files()
    del files["index_test_1.txt"]
    with pytest.raises(DataError, match=r"index_test_1.txt: no such file"):
        read_uci(make_folder(tmp_path, files))


def test_the_folder_is_downloaded_verified_then_read_offline(tmp_path, serve):
    root, url = serve
    files = tiny_files()
    make_folder(root, {f"data/{file}": text for file, text in files.items()})
    cache = tmp_path / "cache"
    uci = load_uci_set("tiny", cache, url, sums(files))
    assert uci.y.tolist()[:2] == [10.5, 11.5] and len(uci.splits) == 2
    assert sorted(p.name for p in (cache / UCI_FOLDER / "tiny").iterdir()) == sorted(files)  # no part file left
    for file in files:
        (root / "tiny" / "data" / file).unlink()
    again = load_uci_set("tiny", cache, "http://127.0.0.1:9/uci", sums(files))  # no network needed now
    assert again.X.tolist() == uci.X.tolist()


def test_a_corrupt_download_is_refused_and_not_kept(tmp_path, serve):
    root, url = serve
    files = tiny_files()
    make_folder(root, {f"data/{file}": text for file, text in {**files, "index_test_1.txt": "3\n5\n"}.items()})
    with pytest.raises(DataError) as err:
        load_uci_set("tiny", tmp_path / "cache", url, sums(files))
    message = str(err.value)
    assert message.startswith(f"the file downloaded from {url}/tiny/data/index_test_1.txt failed verification: "
                              "SHA-256 ") and "\n" not in message
    assert not (tmp_path / "cache" / UCI_FOLDER / "tiny" / "index_test_1.txt").exists()


def test_a_corrupt_download_is_one_error_line_from_the_command(tmp_path, serve, monkeypatch):
    root, url = serve
    write(root / "yacht" / "data" / "data.txt", DATA)  # not the published yacht data
    monkeypatch.setenv("DROPOUT_LAB_UCI_URL", url)
    config = write(tmp_path / "yacht.yaml", "data: {dataset: uci, name: yacht}\n")
    result = CliRunner().invoke(gal_main, ["run", str(config), "--out", str(tmp_path / "out"),
                                           "--data-dir", str(tmp_path / "cache")])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: the file downloaded from {url}/yacht/data/data.txt failed verification: SHA-256 "
        f"{hashlib.sha256(DATA.encode()).hexdigest()[:12]}... differs from the published "
        f"{UCI_SHA256['yacht']['data.txt'][:12]}..."]
    assert not (tmp_path / "out").exists()


def test_every_file_of_every_set_is_pinned_and_the_config_names_the_four():
    assert UCI_SETS == tuple(UCI_SHA256) == ("concrete", "energy", "wine-quality-red", "yacht")
    for name in UCI_SETS:
        assert sorted(UCI_SHA256[name]) == sorted(uci_files(20))


@pytest.mark.parametrize("data, message", [
    ("{dataset: uci, name: boston}", "data.name must be one of: concrete, energy, wine-quality-red, yacht; "
                                     "got 'boston'"),
    ("{dataset: uci, name: yacht, split: 20}", "data.split must be an integer in 0..19; got 20"),
    ("{dataset: uci}", "data.name is required"),
])
def test_a_bad_data_section_is_one_error_line(tmp_path, data, message):
    config = write(tmp_path / "p.yaml", f"data: {data}\n")
    with pytest.raises(ConfigError) as err:
        load_protocol(config)
    assert str(err.value) == f"{config}: {message}"


@pytest.mark.skipif(not (SHARED_DATA / "uci" / "concrete" / "data.txt").is_file(), reason="no shared UCI copy")
@pytest.mark.parametrize("name, rows, features, test_rows", [
    ("concrete", 1030, 8, 103), ("energy", 768, 8, 77), ("wine-quality-red", 1599, 11, 160), ("yacht", 308, 6, 31)])
def test_the_shared_copy_verifies_and_reads(name, rows, features, test_rows):
    uci = load_uci_set(name, SHARED_DATA)
    assert uci.X.shape == (rows, features) and uci.y.shape == (rows,) and len(uci.splits) == 20
    assert all(len(train) + len(test) == rows and len(test) == test_rows for train, test in uci.splits)
    assert len(uci.dropout_rates) == 4 and len(uci.tau_values) == 3 and uci.n_hidden == 50 and uci.n_epochs == 40


@pytest.mark.skipif(not (SHARED_DATA / "uci" / "yacht" / "data.txt").is_file(), reason="no shared UCI copy")
def test_a_run_reads_one_fixed_split_as_a_regression_dataset_training_rows_first():
    from dropout_lab.config import UciData
    from dropout_lab.data import load_dataset

    dataset = load_dataset(UciData(dataset="uci", name="yacht", split=3), SHARED_DATA)
    uci = load_uci_set("yacht", SHARED_DATA)
    X_train, y_train, X_test, y_test = uci.split(3)
    assert dataset.is_regression and dataset.classes == () and dataset.name == "yacht_split3"
    assert np.array_equal(dataset.X, np.vstack([X_train, X_test])) and np.array_equal(dataset.y, np.r_[y_train, y_test])
    assert "split 3: 277 training rows, then 31 test" in dataset.source


def test_a_bad_override_is_one_error_line_before_anything_runs(tmp_path):
    config = write(tmp_path / "yacht.yaml", "data: {dataset: uci, name: yacht}\n")
    result = CliRunner().invoke(gal_main, ["run", str(config), "--out", str(tmp_path / "out"), "--set", "epochs=0"])
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {config}: epochs must be an integer >= 1; got 0"]
    assert not (tmp_path / "out").exists()


def test_the_table_of_a_folder_without_runs_is_one_error_line(tmp_path):
    result = CliRunner().invoke(gal_main, ["table", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"Error: {tmp_path}: no protocol runs found (no */run.json); run `make reproduce-regression`"]


def test_a_protocol_names_its_splits_with_splits_not_data_split(tmp_path):
    config = write(tmp_path / "p.yaml", "data: {dataset: uci, name: yacht, split: 3}\n")
    with pytest.raises(ConfigError) as err:
        load_protocol(config)
    assert str(err.value) == (f"{config}: data.split picks the one split of a run; a protocol runs the splits its "
                              "key `splits` lists (null: all 20). Received: data.split=3")
    assert load_protocol(write(tmp_path / "q.yaml", "data: {dataset: uci, name: yacht}\nsplits: [3]\n")).splits == [3]
