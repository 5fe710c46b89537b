"""Docs that cannot rot: the tutorials' commands (and the README's) run as the pages write them.

A page's fenced blocks are its script, in order: a block with a ``title="FILE"`` is written
to that file; each command of an ``sh`` block is run (``dropout-lab ...`` in this process,
``python FILE``, ``cat FILE``; ``make`` set-up lines are left to the reader); a ``text``
block right after an ``sh`` block is the last command's output, compared line by line with
numbers masked (they differ by machine) and runs of spaces as one. An output that starts
with ``Error:`` is expected to fail with exit code 1, any other command to succeed.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from dropout_lab.cli import main

from .conftest import ROOT

BLOCK = re.compile(r'^```(\w+)(?: title="([^"]+)")?\n(.*?)^```', re.S | re.M)


@dataclass
class Step:
    kind: str  # "file", "run" or "expect"
    text: str
    target: str = ""


def script(page: Path) -> list[Step]:
    steps: list[Step] = []
    for lang, title, body in BLOCK.findall(page.read_text()):
        if title:
            steps.append(Step("file", body, title))
        elif lang == "sh":
            for command in body.replace("\\\n", " ").splitlines():
                command = command.split(" # ")[0].strip()
                if command and not command.startswith("#"):
                    steps.append(Step("run", command))
        elif lang == "text" and steps and steps[-1].kind == "run":
            steps.append(Step("expect", body))
    return steps


def _masked(text: str) -> list[str]:
    return [" ".join(re.sub(r"\d+(\.\d+)?", "N", line).split()) for line in text.strip().splitlines()]


def _run(command: str) -> tuple[int, str, str]:
    """(exit code, stdout, stdout and stderr) of one command of a page."""
    words = shlex.split(command)
    if words[0] == "dropout-lab":
        result = CliRunner().invoke(main, words[1:])
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.stdout, result.output
    if words[0] == "python":
        done = subprocess.run([sys.executable, *words[1:]], capture_output=True, text=True)
        return done.returncode, done.stdout, done.stdout + done.stderr
    if words[0] == "cat":
        text = Path(words[1]).read_text()
        return 0, text, text
    raise AssertionError(f"a page runs {command!r}: teach tests/test_docs.py how, or write it otherwise")


def play(page: Path) -> list[tuple[str, str]]:
    """Run a page's script in the working directory; returns each command with its output."""
    steps, done = script(page), []
    for i, step in enumerate(steps):
        if step.kind == "file":
            Path(step.target).write_text(step.text)
        elif step.kind == "run" and not step.text.startswith("make "):  # make: set-up, the reader's
            code, stdout, output = _run(step.text)
            shown = steps[i + 1] if i + 1 < len(steps) and steps[i + 1].kind == "expect" else None
            failing = shown is not None and shown.text.startswith("Error:")
            assert code == (1 if failing else 0), f"{page.name}: `{step.text}` exited {code}:\n{output}"
            if shown is not None:
                assert _masked(output if failing else stdout) == _masked(shown.text), (
                    f"{page.name}: `{step.text}` printed\n{output}\nwhere the page shows\n{shown.text}")
            done.append((step.text, output))
    return done


TUTORIALS = sorted((ROOT / "docs" / "tutorials").glob("*.md"))


@pytest.mark.slow  # 5-15 s each: three short trainings per page (`make test-slow`, in CI)
@pytest.mark.parametrize("page", [p for p in TUTORIALS if script(p)], ids=lambda p: p.stem)
def test_a_tutorial_does_what_it_says(page, sonar_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert play(page)


def test_the_readme_does_what_it_says(sonar_env, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ran = [command for command, _ in play(ROOT / "README.md")]
    assert len(ran) >= 3  # three commands show it working


def test_a_page_that_shows_the_wrong_output_fails(sonar_env, tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("```sh\ndropout-lab validate smoke\n```\n\n```text\nsmoke: not ok\n```\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="where the page shows"):
        play(page)
