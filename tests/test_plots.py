"""The figures of a run (plots.py), drawn from small tables: what each one shows. The
comparison's forest plot (difference_plot) is tested with the comparison, in test_compare.py."""

import numpy as np
import pandas as pd
import pytest

from dropout_lab.plots import accuracy_distribution, confusion_plot, learning_curve, reliability_diagram


def history(runs: int, epochs: int = 3) -> pd.DataFrame:
    rows = [{"repeat": 1, "fold": fold, "epoch": epoch, "train_loss": 0.5, "train_accuracy": 0.6 + 0.1 * epoch,
             "test_loss": 0.6, "test_accuracy": 0.5 + 0.1 * epoch + 0.02 * fold}
            for fold in range(1, runs + 1) for epoch in range(1, epochs + 1)]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("runs, labels, what", [
    (1, ["train", "test"], "holdout split"),
    (3, ["train (mean of 3 runs)", "train ±1 sd", "test (mean of 3 runs)", "test ±1 sd"], "k-fold"),
])
def test_the_learning_curve_draws_the_mean_per_epoch_and_a_band_over_several_runs(runs, labels, what):
    ax = learning_curve(history(runs), "smoke").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels
    test = next(line for line in ax.get_lines() if line.get_label().startswith("test"))
    assert list(test.get_xdata()) == [1, 2, 3]
    expected = [0.5 + 0.1 * e + 0.02 * np.mean(range(1, runs + 1)) for e in (1, 2, 3)]
    assert list(test.get_ydata()) == pytest.approx(expected)  # the mean over the runs at each epoch
    assert what in ax.get_title() and ax.get_title().startswith("smoke: accuracy per epoch")


def test_the_accuracy_distribution_has_one_box_and_every_run_as_a_point_per_config():
    scores = {"a": pd.Series([0.7, 0.8, 0.9]), "b": pd.Series([0.6, 0.65, 0.7])}
    ax = accuracy_distribution(scores, "Sonar").axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    points = [c.get_offsets() for c in ax.collections]
    assert sorted(len(p) for p in points) == [3, 3]
    assert sorted(np.concatenate([p[:, 1] for p in points]).tolist()) == [0.6, 0.65, 0.7, 0.7, 0.8, 0.9]
    assert "(3 runs each;" in ax.get_title()


def test_the_confusion_plot_shades_shares_of_the_true_class_and_writes_the_counts():
    table = pd.DataFrame([[8, 2], [1, 9]], index=pd.Index(["M", "R"], name="true"), columns=["M", "R"])
    fig = confusion_plot(table, "smoke")
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.8, 0.2], [0.1, 0.9]])
    assert [t.get_text() for t in ax.texts] == ["8", "2", "1", "9"]
    assert "17/20 right" in ax.get_title()


def test_the_reliability_diagram_has_a_panel_per_inference_mode_and_the_rows_per_bin():
    table = pd.DataFrame({"lo": [0.5, 0.75], "hi": [0.75, 1.0], "count": [0, 12], "accuracy": [np.nan, 0.9],
                          "confidence": [np.nan, 0.85]})
    fig = reliability_diagram({"standard": table, "mc dropout": table}, "smoke")
    tops = [ax for ax in fig.axes if ax.get_title()]
    assert [ax.get_title() for ax in tops] == ["standard", "mc dropout"]
    bars = [patch.get_height() for patch in tops[0].patches]
    assert bars == pytest.approx([0.9])  # an empty bin draws no bar
    bottoms = [ax for ax in fig.axes if ax.get_ylabel() == "rows"]
    assert [[t.get_text() for t in ax.texts] for ax in bottoms] == [["12"], ["12"]]
