"""TensorFlow's settings for training (engines/tf_setup.py): made by one explicit call, not
by importing an engine; the call that hands out an engine makes it; it is idempotent; the
intra-op threads are the first engine's, unless the user or a worker chose."""

import json
import os
import subprocess
import sys

import pytest

from dropout_lab.engines import tf_setup

from .conftest import ROOT

# imports both engines, reports TensorFlow's settings, plans a fused run, reports them again
_PROBE = """
import json, logging, os
from tensorflow.python.framework import config
import tensorflow as tf
from dropout_lab.engines import fused, scikeras, tf_setup
from dropout_lab.planning import resolve

def settings():
    return {"determinism": config.is_op_determinism_enabled(), "logger": tf.get_logger().level,
            "xla_flags": os.environ.get("TF_XLA_FLAGS", ""), "configured": tf_setup.configured(),
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads()}

imported = settings()
# a fused run planned: its shape checks build Keras layers (TensorFlow's first op) after the setting
resolve(["configs/circles_overfit.yaml"], ["training.engine=fused"])
tf_setup.configure()  # again: nothing more
print("SETTINGS=" + json.dumps([imported, settings(), logging.ERROR]))
"""


def test_importing_the_engines_changes_no_setting_and_planning_a_run_makes_them_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DROPOUT_LAB_XLA_CACHE": str(tmp_path / "xla"), "TF_XLA_FLAGS": ""}
    env.pop(tf_setup.ENV, None)  # the user's choice (conftest's, under xdist) would be left as it is
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SETTINGS="))
    imported, configured, error = json.loads(line.removeprefix("SETTINGS="))
    assert imported == {"determinism": False, "logger": imported["logger"], "xla_flags": "", "configured": False,
                        "intra_op": 0}
    assert imported["logger"] != error
    assert configured == {"determinism": True, "logger": error, "configured": True, "intra_op": 1,
                          "xla_flags": f"--tf_xla_persistent_cache_directory={tmp_path / 'xla'}"}


@pytest.mark.parametrize(("wanted", "environ", "current", "expected"), [
    (1, {}, 0, 1),                                    # the engine's wish (the fused engine's small ops)
    (None, {}, 0, None),                              # TensorFlow's default (the SciKeras engine's)
    (1, {"TF_NUM_INTRAOP_THREADS": "2"}, 0, None),    # the user's choice stays
    (1, {}, 2, None),                                 # so does a worker's (prepare_worker)
])
def test_the_intra_op_threads_are_the_engines_unless_already_chosen(wanted, environ, current, expected):
    assert tf_setup.threads_to_set(wanted, environ, current) == expected
