"""Preflight as a whole (preflight/__init__.py): independent problems are reported together."""

from click.testing import CliRunner

from dropout_lab.cli import main

from .conftest import CONFIGS


def test_independent_problems_are_all_reported_each_on_its_error_line(tmp_path):
    no_dropout = ["--set", "model.layers=[{type: dense, units: 8}, {type: dense, units: 1, activation: sigmoid}]"]
    mc = ["--set", "evaluation.inference={mode: mc_dropout, samples: 5}"]
    result = CliRunner().invoke(main, ["validate", str(CONFIGS / "digits_mlp.yaml"), *no_dropout, *mc])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith("Error: ") for line in lines), result.stderr
    assert "must be the output layer dense(10, softmax)" in lines[0]
    assert "mc_dropout" in lines[1] and "dropout layer" in lines[1]
    one = CliRunner().invoke(main, ["validate", str(CONFIGS / "digits_mlp.yaml"), *mc, "--set",
                                    "model.layers=[{type: dense, units: 8}, {type: dense, units: 10, "
                                    "activation: softmax}]"])
    assert one.exit_code == 1 and len(one.stderr.strip().splitlines()) == 1


def test_the_layer_shapes_are_checked_once_the_rest_passes():
    bad_shape = ["--set", "model.layers[0]={type: conv2d, filters: 2, kernel_size: 3}"]
    result = CliRunner().invoke(main, ["validate", str(CONFIGS / "digits_mlp.yaml"), *bad_shape])
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [line for line in result.stderr.strip().splitlines()
                                                  if line.startswith("Error: ")]
    assert "model.layers[0] (conv2d) needs an image" in result.stderr
