"""The shape of the code, enforced: apps depend one way (docs/adr/0002), and an import inside a
function is there for a reason written beside it."""

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import Resolver404, resolve

ROOT = Path(__file__).resolve().parent.parent
APPS = ["ccpl", "roles", "appointments", "appraisals", "governance", "surveys", "devdata", "api"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd):
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(cwd)}, check=False)


def test_the_apps_depend_one_way():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_import_from_a_higher_app_breaks_the_contract(tmp_path):
    for app in APPS:
        if (ROOT / app).is_dir():
            shutil.copytree(ROOT / app, tmp_path / app,
                            ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    assert lint_imports(tmp_path).returncode == 0
    # Even hidden inside a function, where it would dodge an import cycle.
    (tmp_path / "roles" / "probe.py").write_text(
        "def holders(post):\n    from appointments.models import Appointment\n\n"
        "    return Appointment.objects.filter(post=post)\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "roles.probe -> appointments.models" in result.stdout


def _imports_inside_functions(path):
    """(line, source line) of each import inside a function with no comment saying why, on its
    own line or between the start of the function and the import."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import | ast.ImportFrom):
                before = lines[node.lineno:inner.lineno]
                if not any(line.strip().startswith("#") or "  # " in line for line in before):
                    found.append((inner.lineno, lines[inner.lineno - 1].strip()))
    return found


@pytest.mark.parametrize("app", APPS)
def test_an_import_inside_a_function_says_why(app):
    undocumented = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in sorted((ROOT / app).rglob("*.py")) if "migrations" not in path.parts
        for line, text in _imports_inside_functions(path)
    ]
    assert not undocumented, "\n".join(undocumented)


@pytest.mark.parametrize("path", ["/appointments/bulk/{}/confirm/", "/import/{}/confirm/",
                                  "/r/{}/", "/s/{}/", "/calendar/{}.ics"])
def test_a_private_address_takes_only_a_token_of_a_tokens_length(path):
    """Nothing longer than a real token reaches a lookup or a cache key."""
    resolve(path.format("a" * 43))
    for made_up in ("a" * 87, "abc", "a/b" * 10, "ab%00cdefgh"):
        with pytest.raises(Resolver404):
            resolve(path.format(made_up))
