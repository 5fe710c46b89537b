"""TensorFlow's settings for training (engines/tf_setup.py): made by one explicit call, not
by importing an engine; the call that hands out an engine makes it; it is idempotent."""

import json
import os
import subprocess
import sys

from .conftest import ROOT

# imports both engines, reports TensorFlow's settings, calls get_engine, reports them again
_PROBE = """
import json, logging, os
from tensorflow.python.framework import config
import tensorflow as tf
from dropout_lab.engines import fused, get_engine, scikeras, tf_setup

def settings():
    return {"determinism": config.is_op_determinism_enabled(), "logger": tf.get_logger().level,
            "xla_flags": os.environ.get("TF_XLA_FLAGS", ""), "configured": tf_setup.configured()}

imported = settings()
get_engine("fused")
tf_setup.configure()  # again: nothing more
print("SETTINGS=" + json.dumps([imported, settings(), logging.ERROR]))
"""


def test_importing_the_engines_changes_no_setting_and_get_engine_makes_them_once(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DROPOUT_LAB_XLA_CACHE": str(tmp_path / "xla"), "TF_XLA_FLAGS": ""}
    proc = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, cwd=ROOT, env=env)
    assert proc.returncode == 0, proc.stderr
    line = next(x for x in proc.stdout.splitlines() if x.startswith("SETTINGS="))
    imported, configured, error = json.loads(line.removeprefix("SETTINGS="))
    assert imported == {"determinism": False, "logger": imported["logger"], "xla_flags": "", "configured": False}
    assert imported["logger"] != error
    assert configured == {"determinism": True, "logger": error, "configured": True,
                          "xla_flags": f"--tf_xla_persistent_cache_directory={tmp_path / 'xla'}"}
