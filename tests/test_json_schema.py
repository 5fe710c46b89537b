"""The JSON Schema of configs (`dropout-lab schema`): every shipped config validates against it,
it refuses what the loader refuses, and the committed copy the configs point to is current."""

import json

import pytest
import yaml
from click.testing import CliRunner
from jsonschema import Draft202012Validator

from dropout_lab.catalog import SCHEMA_LINE, init_study
from dropout_lab.cli import main
from dropout_lab.config.json_schema import FILE_NAME, config_schema, schema_text

from .conftest import CONFIGS

SHIPPED = sorted(CONFIGS.rglob("*.yaml"))
MINIMAL = {"data": {"dataset": "sonar"}, "model": {"layers": [{"type": "dense", "units": 1, "activation": "sigmoid"}]},
           "training": {"optimizer": {"name": "sgd"}, "epochs": 1, "batch_size": 1}}


@pytest.fixture(scope="module")
def validator():
    schema = config_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_the_committed_copy_is_what_dropout_lab_schema_prints():
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0 and result.output == schema_text()
    assert (CONFIGS / FILE_NAME).read_text() == schema_text(), "run `make schema` (the config schema changed)"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(CONFIGS)))
def test_every_shipped_config_points_to_the_schema_and_validates(path, validator):
    first = path.read_text().splitlines()[0]
    assert first.startswith(SCHEMA_LINE)
    assert (path.parent / first.removeprefix(SCHEMA_LINE)).resolve() == (CONFIGS / FILE_NAME).resolve()
    errors = [error.message for error in validator.iter_errors(yaml.safe_load(path.read_text()))]
    assert errors == []


def _with(document: dict, path: str, value) -> dict:
    document = json.loads(json.dumps(document))
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    node[int(last) if isinstance(node, list) else last] = value
    return document


@pytest.mark.parametrize(("path", "value"), [
    ("trainng", {}),                                 # an unknown key
    ("training.epochs", 2.5),                        # a float for an integer
    ("training.epochs", 0),                          # below its minimum
    ("model.layers.0.rate", 0.2),                    # an option the layer kind does not have
    ("model.layers.0.activation", "leaky_relu"),     # not one of the choices
    ("model.layers.0.type", "dense3"),               # no such layer kind
    ("data.dataset", "iris"),                        # no such dataset
    ("training.optimizer", {"name": "sgd", "learning_rate": -1}),
    ("evaluation", {"protocol": "kfold", "n_splits": "10"}),
    ("seed", 2**32),
])
def test_it_refuses_what_the_loader_refuses(validator, path, value):
    assert validator.is_valid(MINIMAL)
    assert not validator.is_valid(_with(MINIMAL, path, value))


def test_a_config_that_extends_another_may_leave_out_what_its_base_gives(validator):
    assert not validator.is_valid({"training": {"epochs": 600}})  # alone, it lacks data and model
    assert validator.is_valid({"extends": "sonar_tips.yaml", "training": {"epochs": 600}})
    assert validator.is_valid({"extends": "sonar_tips.yaml", "training": {"optimizer": {"momentum": 0.99}}})
    assert not validator.is_valid({"extends": "sonar_tips.yaml", "training": {"epochs": "600"}})
    assert not validator.is_valid({"extends": "sonar_tips.yaml", "traning": {}})


def test_every_key_has_its_description_in_the_schema():
    defs = config_schema()["$defs"]
    for name, body in defs.items():
        for key, prop in body.get("properties", {}).items():
            assert prop.get("description"), f"{name}.{key}"


@pytest.mark.parametrize("name", ["sonar_baseline", "sonar_hidden", "regularizers/sonar_l2"])
def test_init_points_the_copy_to_the_installed_schema(tmp_path, name):
    target = init_study(name, tmp_path)
    first = target.read_text().splitlines()[0]
    assert first.startswith(SCHEMA_LINE + "file://")
    from urllib.parse import urlparse
    assert urlparse(first.removeprefix(SCHEMA_LINE)).path == str((CONFIGS / FILE_NAME).resolve())
