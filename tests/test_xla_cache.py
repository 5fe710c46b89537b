"""The fused engine's persistent XLA cache: where it lives, and that it is left alone when set."""

import os

import pytest

from dropout_lab.engines import xla_cache


@pytest.mark.parametrize("env, expected", [
    ({"DROPOUT_LAB_XLA_CACHE": "off"}, None),
    ({"DROPOUT_LAB_XLA_CACHE": "OFF"}, None),
    ({"DROPOUT_LAB_XLA_CACHE": "/somewhere/cache"}, "/somewhere/cache"),
    ({"DROPOUT_LAB_XLA_CACHE": "", "XDG_CACHE_HOME": "/xdg"}, "/xdg/dropout-lab/xla"),
    ({"DROPOUT_LAB_XLA_CACHE": "", "XDG_CACHE_HOME": "", "HOME": "/home/u"}, "/home/u/.cache/dropout-lab/xla"),
])
def test_the_cache_directory_follows_the_environment(monkeypatch, env, expected):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    where = xla_cache.directory()
    assert (None if where is None else str(where)) == expected


def test_enable_sets_the_flag_creates_the_directory_and_keeps_a_users_choice(monkeypatch, tmp_path):
    monkeypatch.setenv("DROPOUT_LAB_XLA_CACHE", str(tmp_path / "c"))
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_auto_jit=0")
    assert xla_cache.enable() == tmp_path / "c" and (tmp_path / "c").is_dir()
    assert os.environ["TF_XLA_FLAGS"] == f"--tf_xla_auto_jit=0 --tf_xla_persistent_cache_directory={tmp_path / 'c'}"
    monkeypatch.setenv("TF_XLA_FLAGS", "--tf_xla_persistent_cache_directory=/mine")
    assert xla_cache.enable() is None and os.environ["TF_XLA_FLAGS"] == "--tf_xla_persistent_cache_directory=/mine"
    monkeypatch.setenv("TF_XLA_FLAGS", "")
    monkeypatch.setenv("DROPOUT_LAB_XLA_CACHE", "off")
    assert xla_cache.enable() is None and os.environ["TF_XLA_FLAGS"] == ""
