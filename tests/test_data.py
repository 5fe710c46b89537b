import numpy as np
import pytest

from dropout_lab.config import CirclesData, CsvData, DigitsData, NpzData, RandomData, SonarData
from dropout_lab.data import SONAR_CHECKSUM, checksum, fetch_sonar, load_dataset, read_sonar
from dropout_lab.errors import DataError

from .conftest import write


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
    before = path.read_bytes()
    with pytest.raises(DataError) as err:  # downloading it again fails: the conftest's closed port
        load_dataset(SonarData(dataset="sonar"), tmp_path)
    assert str(err.value).startswith(str(path)) and message in str(err.value)
    assert "the file is not used, and the download from http://127.0.0.1:9/" in str(err.value)
    assert path.read_bytes() == before


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
        ("a,b,y\n1,2,p\n3,4,q\n5,6,r\n", {"positive_label": "q"},
         "positive_label applies to two classes only; column 3 (y) holds 3: 'p', 'q', 'r'"),
        ("a,b,y\n1,2,p\n3,4,p\n", {}, "column 3 (y): the label column must hold at least 2 classes; got 1: 'p'"),
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


def test_sonar_and_circles_describe_their_problem(sonar_dir):
    """The binary datasets keep their checksums (Sonar's is verified) and say what they are."""
    sonar = load_dataset(SonarData(dataset="sonar"), sonar_dir)
    assert sonar.checksum == SONAR_CHECKSUM and sonar.classes == ("R", "M") and sonar.input_shape == (60,)
    assert sonar.kind == "binary" and sonar.n_classes == 2
    circles = load_dataset(CirclesData(dataset="circles"))
    assert circles.checksum == "5e06148f6c81bbb0e6f836277a8cd7cc7788fb79e2d8ce352df98db309b3cba2"
    assert circles.classes == ("0", "1") and circles.input_shape == (2,)


@pytest.mark.parametrize("view, shape", [("flat", (64,)), ("image", (8, 8, 1)), ("sequence", (8, 8))])
def test_digits_views_keep_flat_rows(view, shape):
    from sklearn.datasets import load_digits

    ds = load_dataset(DigitsData(dataset="digits", view=view))
    assert ds.X.shape == (1797, 64) and ds.input_shape == shape  # rows stay flat, the view is the sample shape
    assert ds.classes == tuple("0123456789") and ds.kind == "multiclass"
    np.testing.assert_array_equal(ds.X, load_digits().data)
    np.testing.assert_array_equal(ds.y, load_digits().target)
    assert np.bincount(ds.y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # the image of row 0 is its 64 pixels in row-major order
    np.testing.assert_array_equal(ds.X[0].reshape(shape).reshape(8, 8), load_digits().images[0])


def test_digits_views_have_their_own_checksums():
    sums = {view: load_dataset(DigitsData(dataset="digits", view=view)).checksum for view in ("flat", "image")}
    assert sums["flat"] != sums["image"]
    assert sums["flat"] == load_dataset(DigitsData(dataset="digits")).checksum


def test_digits_class_filter_keeps_and_relabels_in_numeric_order():
    ds = load_dataset(DigitsData(dataset="digits", classes=[8, 3, 1]))
    assert ds.classes == ("1", "3", "8") and ds.n_classes == 3
    assert np.bincount(ds.y).tolist() == [182, 183, 174] and len(ds.X) == 182 + 183 + 174
    assert ds.name == "digits_138"


@pytest.mark.parametrize(
    "classes, message",
    [
        ([3, 12], "data.classes[1] must be one of the digits' classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9; got 12"),
        ([3], "data.classes must list at least 2 different classes; got [3]"),
        ([3, 3], "data.classes must list at least 2 different classes; got [3, 3]"),
        (["3", 4], "data.classes[0] must be one of the digits' classes 0, 1, 2, 3, 4, 5, 6, 7, 8, 9; got '3'"),
    ],
)
def test_digits_class_filter_refuses_classes_the_data_lacks(tmp_path, classes, message):
    from dropout_lab.config import load_config
    from dropout_lab.errors import ConfigError

    from .conftest import CONFIGS

    text = f"extends: {CONFIGS / 'digits_mlp.yaml'}\ndata: {{dataset: digits, classes: {classes}}}\n"
    path = write(tmp_path / "c.yaml", text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert str(err.value) == f"{path}: {message}"


def test_random_features_are_seeded_and_uniform():
    spec = RandomData(dataset="random", n_samples=1200, n_features=25, n_classes=5, seed=1)
    a, b = load_dataset(spec), load_dataset(spec)
    assert a.X.shape == (1200, 25) and a.classes == ("0", "1", "2", "3", "4") and a.checksum == b.checksum
    assert 0 <= a.X.min() and a.X.max() < 1 and abs(a.X.mean() - 0.5) < 0.01
    assert np.bincount(a.y).min() > 200  # every class, about 1/5 of the rows
    other = load_dataset(spec.model_copy(update={"seed": 2}))
    assert other.checksum != a.checksum


def test_random_data_with_an_undrawn_class_is_refused():
    with pytest.raises(DataError, match="no row drew class"):
        load_dataset(RandomData(dataset="random", n_samples=4, n_classes=40, seed=0))


@pytest.mark.parametrize(
    "labels, classes, y",
    [
        (["b", "a", "c", "a"], ("a", "b", "c"), [1, 0, 2, 0]),
        (["10", "2", "9", "2"], ("2", "9", "10"), [2, 0, 1, 0]),  # integer labels in numeric order
        (["-1", "1", "0", "1"], ("-1", "0", "1"), [0, 2, 1, 2]),
    ],
)
def test_user_csv_with_many_classes(tmp_path, labels, classes, y):
    text = "a,b,kind\n" + "".join(f"{i},{i * 2},{label}\n" for i, label in enumerate(labels))
    ds = load_dataset(CsvData(dataset="csv", path=str(write(tmp_path / "m.csv", text))))
    assert ds.classes == classes and ds.y.tolist() == y and ds.input_shape == (2,)


def test_binary_csv_keeps_positive_label_as_class_1(tmp_path):
    path = write(tmp_path / "b.csv", "a,kind\n1,dog\n2,cat\n3,dog\n")
    default = load_dataset(CsvData(dataset="csv", path=str(path)))
    assert default.classes == ("cat", "dog") and default.y.tolist() == [1, 0, 1]
    chosen = load_dataset(CsvData(dataset="csv", path=str(path), positive_label="cat"))
    assert chosen.classes == ("dog", "cat") and chosen.y.tolist() == [0, 1, 0]


def _npz(tmp_path, **arrays):
    path = tmp_path / "mine.npz"
    np.savez(path, **arrays)
    return NpzData(dataset="npz", path=str(path))


def test_npz_images_are_flattened_and_keep_their_shape(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(12, 5, 4, 3)).astype("float32")
    labels = np.array(["cat", "dog", "emu"] * 4)
    ds = load_dataset(_npz(tmp_path, X=X, y=labels))
    assert ds.X.shape == (12, 60) and ds.input_shape == (5, 4, 3) and ds.X.dtype == np.float64
    np.testing.assert_array_equal(ds.X[7].reshape(5, 4, 3), X[7])
    assert ds.classes == ("cat", "dog", "emu") and ds.y.tolist() == [0, 1, 2] * 4
    assert ds.name == "mine" and ds.source.endswith("mine.npz")


def test_npz_integer_labels_and_other_keys(tmp_path):
    path = tmp_path / "k.npz"
    np.savez(path, images=np.arange(24.0).reshape(6, 4), targets=np.array([10, 2, 2, 10, 7, 7]))
    ds = load_dataset(NpzData(dataset="npz", path=str(path), x_key="images", y_key="targets"))
    assert ds.classes == ("2", "7", "10") and ds.y.tolist() == [2, 0, 0, 2, 1, 1] and ds.input_shape == (4,)


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"X": np.zeros((5, 3)), "y": np.array([0, 1, 0, 1])},
         "X has 5 rows but y has 4 labels; they must have the same length"),
        ({"X": np.zeros((4, 3))}, "no array 'y' (the labels) in the file; arrays: X"),
        ({"y": np.array([0, 1])}, "no array 'X' (the samples) in the file; arrays: y"),
        ({"X": np.zeros((4, 3)), "y": np.array([1, 1, 1, 1])}, "y must hold at least 2 classes; got 1: '1'"),
        ({"X": np.zeros(4), "y": np.array([0, 1, 0, 1])}, "X must have rows first and at least one value per row"),
        ({"X": np.array([[0.0], [np.nan]]), "y": np.array([0, 1])}, "X[1] has a value that is not a finite number"),
        ({"X": np.zeros((2, 2)), "y": np.array([0.5, 1.0])}, "y: the labels look like a continuous target"),
        ({"X": np.zeros((2, 2)), "y": np.zeros((2, 2))}, "y must hold one label per row (1-D); got shape (2, 2)"),
    ],
)
def test_bad_npz(tmp_path, arrays, message):
    spec = _npz(tmp_path, **arrays)
    with pytest.raises(DataError) as err:
        load_dataset(spec)
    assert str(err.value).startswith(spec.path) and message in str(err.value)


def test_unreadable_npz(tmp_path):
    path = write(tmp_path / "not.npz", "plain text")
    with pytest.raises(DataError, match="cannot read as an .npz file"):
        load_dataset(NpzData(dataset="npz", path=str(path)))
    with pytest.raises(DataError, match="no such data file"):
        load_dataset(NpzData(dataset="npz", path=str(tmp_path / "gone.npz")))


def _label_csv(tmp_path, labels) -> CsvData:
    path = tmp_path / "t.csv"
    path.write_text("x,y\n" + "".join(f"{i},{label}\n" for i, label in enumerate(labels)))
    return CsvData(dataset="csv", path=str(path), label_column="y")


_DIABETES_LIKE = [25 + (i * 37) % 214 for i in range(442)]  # 214 integer values, about 2 rows each


@pytest.mark.parametrize("labels", [
    _DIABETES_LIKE,                                 # integers: too many values for their rows
    [f"{v}.0" for v in _DIABETES_LIKE],             # the same written as floats (as the file)
    [0.5, 1.5, 2.25] * 10,                          # fractions: never class labels
], ids=["sparse-integers", "integral-floats", "fractions"])
def test_a_continuous_target_is_refused_in_one_short_line(tmp_path, labels):
    with pytest.raises(DataError, match="look like a continuous target .* set data.task: regression") as info:
        load_dataset(_label_csv(tmp_path, labels), tmp_path)
    text = str(info.value).replace(str(tmp_path), "")  # the line less the file's (temporary, long) folder
    assert "\n" not in text and len(text) < 300


@pytest.mark.parametrize("labels", [
    [i % 26 for i in range(26 * 5)],                # 26 classes (letters), 5 rows each
    ["1.0", "0.0"] * 5,                             # binary labels written as floats
], ids=["many-classes-enough-rows", "binary-floats"])
def test_numeric_class_labels_are_still_classes(tmp_path, labels):
    assert load_dataset(_label_csv(tmp_path, labels), tmp_path).n_classes == len(set(labels))


def test_a_continuous_npz_target_is_refused(tmp_path):
    spec = _npz(tmp_path, X=np.zeros((442, 3)), y=np.array(_DIABETES_LIKE, dtype=float))
    with pytest.raises(DataError, match="y: the labels look like a continuous target"):
        load_dataset(spec, tmp_path)
