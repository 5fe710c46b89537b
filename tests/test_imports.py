"""The package's import structure: every module and public name imports alone, and no cycle."""

import ast
import graphlib
import subprocess
import sys
import textwrap
from pathlib import Path

import dropout_lab

PACKAGE = Path(dropout_lab.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imported(module: str, path: Path, known) -> set[str]:
    """The package's modules that ``module`` imports anywhere (functions included), with their parents."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    edges = set()
    for target in targets:
        while target:
            if target in known and target != module and not module.startswith(target + "."):
                edges.add(target)
            target = target.rpartition(".")[0]
    return edges


def test_the_import_graph_has_no_cycle():
    known = _modules()
    graph = {name: _imported(name, path, known) for name, path in known.items()}
    graphlib.TopologicalSorter(graph).prepare()  # raises CycleError naming the cycle


def test_the_cycle_check_would_see_one():
    graph = {"a": {"b"}, "b": {"a"}}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError:
        return
    raise AssertionError("a two-module cycle was not found")


def _run_alone(statements: list[str]) -> list[str]:
    """Run each statement in this interpreter's subprocess with no dropout_lab module loaded
    before it (third-party modules stay loaded: only the package's own import order matters)."""
    script = textwrap.dedent(f"""
        import sys, traceback
        failed = []
        for statement in {statements!r}:
            for name in [m for m in sys.modules if m == "dropout_lab" or m.startswith("dropout_lab.")]:
                del sys.modules[name]
            try:
                exec(statement, {{}})
            except Exception:
                failed.append(statement + ": " + traceback.format_exc().strip().splitlines()[-1])
        print("\\n".join(failed))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                            cwd=PACKAGE.parent)
    assert result.returncode == 0, result.stderr
    return [line for line in result.stdout.splitlines() if line]


def test_every_module_imports_alone():
    # importing __main__ runs the command line; cli is what it imports
    assert _run_alone([f"import {name}" for name in _modules() if not name.endswith(".__main__")]) == []


def test_every_public_name_imports_alone():
    """``from dropout_lab import NAME`` imports the package (which loads only ``errors``) and
    then NAME's module: each such module imports alone (the test above), so what is left to
    check is that the package names a module of its own that defines NAME."""
    lazy = vars(dropout_lab)["_LAZY"]
    assert {f"dropout_lab.{module}" for module in lazy.values()} <= set(_modules())
    assert set(dropout_lab.__all__) == {"ConfigError", "DataError", "DropoutLabError", "ResultsError", *lazy}
    missing = [name for name in dropout_lab.__all__ if getattr(dropout_lab, name, None) is None]
    assert missing == []


def test_every_package_is_listed_for_the_wheel():
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {name for name, path in _modules().items() if path.name == "__init__.py"}
    assert found <= listed, sorted(found - listed)
