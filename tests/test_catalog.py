"""The shipped studies: a name resolves to the very file in configs/, `studies` lists every
one with its description, `init` copies one to edit (and refuses to overwrite)."""

import pytest
import yaml
from click.testing import CliRunner

from dropout_lab.catalog import STUDIES_DIR, init_study, list_studies, resolve_config, study_path
from dropout_lab.cli import main
from dropout_lab.config import load_config
from dropout_lab.errors import ConfigError

from .conftest import CONFIGS

SHIPPED = sorted(p.relative_to(CONFIGS).with_suffix("").as_posix() for p in CONFIGS.rglob("*.yaml"))


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("name", ["sonar_hidden", "regularizers/sonar_l2", "mnist_mlp"])
def test_a_study_name_is_the_file_in_configs(name):
    assert resolve_config(name).samefile(CONFIGS / f"{name}.yaml")
    assert load_config(resolve_config(name)).config_hash() == load_config(CONFIGS / f"{name}.yaml").config_hash()


def test_a_path_always_wins(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sonar_hidden").write_text("name: mine\n")  # a file named like a study
    assert resolve_config("sonar_hidden") == tmp_path.joinpath("sonar_hidden").relative_to(tmp_path)
    # a .yaml argument is a path even when missing: the loader says "no such config file"
    assert resolve_config("sonar_baseline.yaml").name == "sonar_baseline.yaml"
    assert not resolve_config("sonar_baseline.yaml").exists()


@pytest.mark.parametrize("name, hint", [("sonar_hiden", "; did you mean sonar_hidden? Studies: "),
                                        ("nothing_like_it", ", nor a shipped study. Studies: "),
                                        ("../configs/sonar_hidden", " Studies: ")])  # not outside studies/
def test_an_unknown_study_is_an_error_listing_the_known_ones(name, hint):
    with pytest.raises(ConfigError) as err:
        study_path(name)
    text = str(err.value)
    assert text.startswith(f"{name}: no such config file, nor a shipped study") and hint in text
    assert f" ... and {len(SHIPPED) - 8} more (`dropout-lab studies` lists them)" in text
    assert "\n" not in text


def test_studies_lists_every_shipped_config_with_its_description(monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # the descriptions are shortened to the terminal's width
    found = list_studies()
    assert sorted(s.name for s in found) == SHIPPED
    assert all(s.summary and s.path.parent.resolve() in {CONFIGS, CONFIGS / "regularizers", CONFIGS / "regression"}
               for s in found)
    hidden = next(s for s in found if s.name == "sonar_hidden")
    assert hidden.summary.startswith("Sonar with max-norm 3 hidden layers") and hidden.summary.endswith(".")
    result = invoke("studies")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [s.name for s in found]
    assert any(line.startswith("mnist_cnn ") and "CNN classifier on MNIST" in line for line in lines)


@pytest.mark.parametrize("name", ["sonar_baseline", "sonar_hidden", "sonar_tips", "regularizers/circles_dropout"])
def test_init_writes_a_standalone_copy_that_runs_the_same_config(tmp_path, name):
    result = invoke("init", name, tmp_path)
    target = tmp_path / f"{name.rsplit('/', 1)[-1]}.yaml"
    assert result.exit_code == 0 and result.output == f"-> {target}\n"
    assert "extends" not in yaml.safe_load(target.read_text())
    assert load_config(target).to_dict() == load_config(study_path(name)).to_dict()


def test_init_refuses_an_existing_file_without_force(tmp_path):
    target = tmp_path / "mine.yaml"
    target.write_text("kept\n")
    result = invoke("init", "smoke", target)
    assert result.exit_code == 1 and result.output == f"Error: {target}: the file exists; use --force to replace it\n"
    assert target.read_text() == "kept\n"
    assert invoke("init", "smoke", target, "--force").exit_code == 0
    assert load_config(target).to_dict() == {**load_config(STUDIES_DIR / "smoke.yaml").to_dict(), "name": "mine"}


def test_init_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert init_study("sonar_baseline").resolve() == tmp_path / "sonar_baseline.yaml"
