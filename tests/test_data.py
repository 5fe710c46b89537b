import functools
import http.server
import threading

import numpy as np
import pytest

from dropout_lab.config import CirclesData, CsvData, SonarData
from dropout_lab.data import SONAR_CHECKSUM, checksum, fetch_sonar, load_dataset, read_sonar, resolve_data_dir
from dropout_lab.errors import DataError

from .conftest import write


@pytest.fixture
def serve(tmp_path):
    """A loopback HTTP server over a directory of files; yields its base URL."""
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def sonar_lines(sonar_dir):
    return (sonar_dir / "sonar.csv").read_text().splitlines()


def test_sonar_parses_and_verifies(sonar_dir):
    ds = load_dataset(SonarData(dataset="sonar"), sonar_dir)
    assert ds.X.shape == (208, 60) and ds.X.dtype == np.float64
    assert ds.y.sum() == 111 and (ds.y == 0).sum() == 97  # M -> 1
    assert ds.checksum == SONAR_CHECKSUM == checksum(ds.X, ds.y)


def test_line_endings_do_not_change_the_checksum(tmp_path, sonar_dir):
    path = write(tmp_path / "sonar.csv", "\r\n".join(sonar_lines(sonar_dir)) + "\r\n")
    X, y = read_sonar(path)
    assert checksum(X, y) == SONAR_CHECKSUM


def test_data_dir_resolution(monkeypatch, tmp_path):
    monkeypatch.delenv("DROPOUT_LAB_DATA", raising=False)
    assert str(resolve_data_dir()) == "data"
    monkeypatch.setenv("DROPOUT_LAB_DATA", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert str(resolve_data_dir("given")) == "given"


def test_missing_sonar_is_downloaded_over_loopback_and_verified(tmp_path, sonar_dir, serve, monkeypatch):
    root, url = serve
    (root / "sonar.all-data").write_bytes((sonar_dir / "sonar.csv").read_bytes())
    monkeypatch.setenv("DROPOUT_LAB_SONAR_URL", f"{url}/sonar.all-data")
    target = tmp_path / "fresh"
    ds = load_dataset(SonarData(dataset="sonar"), target)
    assert ds.checksum == SONAR_CHECKSUM
    assert [p.name for p in target.iterdir()] == ["sonar.csv"]


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda lines: lines[:100], "expected 208 rows of 61 columns; got 100 rows"),
        (lambda lines: [lines[0].rsplit(",", 1)[0] + ",X", *lines[1:]],
         "row 1, column 61: label must be M or R; got 'X'"),
        (lambda lines: [lines[0].replace(",", ",abc,", 1), *lines[1:]], "row 1 has 62 columns; expected 61"),
        (lambda lines: [lines[0], "0.5," + lines[1].split(",", 1)[1].replace("0.", "x.", 1), *lines[2:]],
         "row 2, column"),
    ],
)
def test_a_bad_download_is_refused_and_not_kept(tmp_path, sonar_dir, serve, mangle, message):
    root, url = serve
    (root / "sonar.all-data").write_text("\n".join(mangle(sonar_lines(sonar_dir))))
    with pytest.raises(DataError, match="failed verification") as err:
        fetch_sonar(tmp_path / "d", url=f"{url}/sonar.all-data")
    assert message in str(err.value)
    assert not (tmp_path / "d").exists()  # nothing half-downloaded left behind, not even the directory


def test_a_failed_download_names_the_url_and_the_remedy(tmp_path, serve):
    _, url = serve
    with pytest.raises(DataError, match=r"the download from .*/missing failed .*--data-dir"):
        fetch_sonar(tmp_path / "d", url=f"{url}/missing")
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    "mangle, message",
    [
        (lambda lines: [], "the file has no data rows"),
        (lambda lines: [lines[0].replace("0.0", "nan", 1), *lines[1:]], "row 1, column"),
        (lambda lines: [lines[0].replace("0.0", "2.0", 1), *lines[1:]], "sonar values must be in [0, 1]"),
        (lambda lines: [line.replace(",R", ",M") for line in lines], "expected label counts"),
        (lambda lines: [lines[0].replace("0.02", "0.03", 1), *lines[1:]], "differ from the UCI Sonar data"),
    ],
)
def test_a_corrupt_local_sonar_file_is_one_clear_error(tmp_path, sonar_dir, mangle, message):
    path = write(tmp_path / "sonar.csv", "\n".join(mangle(sonar_lines(sonar_dir))))
    with pytest.raises(DataError) as err:
        load_dataset(SonarData(dataset="sonar"), tmp_path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)


def test_circles_defaults_are_the_tutorials():
    ds = load_dataset(CirclesData(dataset="circles"))
    assert ds.X.shape == (100, 2) and set(ds.y) == {0, 1}
    from sklearn.datasets import make_circles

    X, y = make_circles(n_samples=100, noise=0.1, random_state=1)
    np.testing.assert_array_equal(ds.X, X)


def test_user_csv_with_named_label_column(tmp_path):
    path = write(tmp_path / "mine.csv", "a,kind,b\n1,cat,2\n3,dog,4\n5,cat,6\n")
    ds = load_dataset(CsvData(dataset="csv", path=str(path), label_column="kind", positive_label="cat"))
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4], [5, 6]])
    np.testing.assert_array_equal(ds.y, [1, 0, 1])
    assert ds.name == "mine"


@pytest.mark.parametrize(
    "text, options, message",
    [
        ("a,b,y\n1,2,p\n3,oops,q\n", {}, "row 3, column 2 (b): expected a number; got 'oops'"),
        ("a,b,y\n1,,p\n3,4,q\n", {}, "row 2, column 2 (b): the value is missing"),
        ("a,b,y\n1,2,p\n3,4\n", {}, "row 3 has 2 columns; expected 3"),
        ("a,b,y\n1,2,p\n3,4,q\n5,6,r\n", {}, "exactly 2 classes; got 3"),
        ("a,b,y\n1,2,p\n3,4,p\n", {}, "exactly 2 classes; got 1"),
        ("a,b,y\n1,2,p\n3,4,q\n", {"label_column": "z"}, "label_column 'z' is not a column; columns: a, b, y"),
        ("a,b,y\n1,2,p\n3,4,q\n", {"positive_label": "w"}, "positive_label 'w' is not one of the labels"),
        ("", {}, "the file has no data rows"),
        ("1,2,p\n3,inf,q\n", {"header": False}, "row 2, column 2: expected a finite number"),
    ],
)
def test_bad_user_csv(tmp_path, text, options, message):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError) as err:
        load_dataset(CsvData(dataset="csv", path=str(path), **options))
    assert str(err.value).startswith(str(path)) and message in str(err.value)


@pytest.mark.parametrize("delimiter, text", [(";", "a;b;y\n1;2;p\n3;4;q\n"), ("\t", "a\tb\ty\n1\t2\tp\n3\t4\tq\n")])
def test_data_delimiter_reads_semicolon_and_tab_separated_files(tmp_path, delimiter, text):
    path = write(tmp_path / "d.csv", text)
    ds = load_dataset(CsvData(dataset="csv", path=str(path), delimiter=delimiter))
    np.testing.assert_array_equal(ds.X, [[1, 2], [3, 4]])
    assert ds.classes == ("p", "q")
    with pytest.raises(DataError, match=rf"set data.delimiter: {delimiter!r}".replace("\\", "\\\\")):
        load_dataset(CsvData(dataset="csv", path=str(path)))
