"""tune's figures from a small trials table: what each draws."""

import pandas as pd

from dropout_lab.tune.plots import history_plot, parallel_plot, slice_plot

TRIALS = pd.DataFrame({
    "number": [0, 1, 2, 3, 4],
    "state": ["COMPLETE", "PRUNED", "COMPLETE", "COMPLETE", "FAIL"],
    "value": [0.80, None, 0.85, 0.82, None],
    "partial_value": [0.80, 0.60, 0.85, 0.82, None],
    "rate": [0.2, 0.6, 0.3, 0.1, 0.5],
    "lr": [1e-4, 1e-3, 1e-2, 1e-1, 1e-2],
    "max_norm": ["null", "3", "2", "null", "2"],
})


def test_history_draws_complete_and_pruned_trials_apart_and_the_best_so_far():
    ax = history_plot(TRIALS, "test_accuracy", True, "t").axes[0]
    done, pruned = (c.get_offsets() for c in ax.collections[::-1])
    assert done[:, 0].tolist() == [0, 2, 3] and pruned[:, 0].tolist() == [1]
    assert pruned[:, 1].tolist() == [0.6]  # a pruned trial at the mean of the folds it trained
    assert ax.lines[0].get_ydata().tolist() == [0.80, 0.85, 0.85]  # the best so far (maximized)
    minimized = history_plot(TRIALS, "test_loss", False, "t").axes[0]
    assert minimized.lines[0].get_ydata().tolist() == [0.80, 0.80, 0.80]


def test_slices_have_one_panel_per_key_numbers_on_their_scale_and_choices_as_ticks():
    figure = slice_plot(TRIALS, ["rate", "lr", "max_norm"], "test_accuracy", "t")
    rate, lr, max_norm = figure.axes
    assert rate.get_xscale() == "linear" and lr.get_xscale() == "log"  # lr spans 1000x
    assert [t.get_text() for t in max_norm.get_xticklabels()] == ["2", "3", "null"]
    assert sum(len(c.get_offsets()) for c in rate.collections) == 4  # the failed trial is not drawn


def test_parallel_coordinates_draw_one_line_per_complete_trial():
    ax = parallel_plot(TRIALS, ["rate", "max_norm"], "test_accuracy", "t").axes[0]
    assert len(ax.lines) == 3 + 3  # three trials, three axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["rate", "max_norm", "test accuracy"]
