"""The layering that docs/architecture.rst describes, checked."""

import ast
import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "skhpa"


def _imported_modules(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            yield "." * node.level + (node.module or "")


def test_hpa_constants_module_imports_only_the_standard_library():
    imported = set(_imported_modules(PACKAGE / "utils" / "_hpa.py"))
    assert imported and all(m.split(".")[0] in sys.stdlib_module_names for m in imported)


def test_consumers_of_the_constants_do_not_load_the_generator():
    code = (
        "import sys, skhpa.preprocessing, skhpa.metrics, skhpa.plotting, skhpa.utils;"
        "print(sorted(m for m in sys.modules if m.startswith('skhpa.datasets')))"
    )
    path = os.pathsep.join([str(PACKAGE.parent), os.environ.get("PYTHONPATH", "")])
    env = {**os.environ, "PYTHONPATH": path}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout
    assert out.strip() == "[]"


def _modules_with_all():
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name != "inference.py" and "__all__" in path.read_text():
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@pytest.mark.parametrize("name", list(_modules_with_all()))
def test_all_lists_only_what_the_module_defines(name):
    module = importlib.import_module(name)
    for attr in module.__all__:
        obj = getattr(module, attr)  # every listed name exists
        defined_in = getattr(obj, "__module__", None)
        re_exports = name.endswith("_compat")  # a compatibility layer exists to re-export
        if not (hasattr(module, "__path__") or re_exports) and callable(obj) and defined_in:
            # a plain module lists what it defines, not what it imports
            assert defined_in == name, f"{name}.__all__ lists {attr}, defined in {defined_in}"
