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


# the layers of docs/architecture.rst; a package imports only from lower layers
_LAYERS = {
    "utils": 0, "nn": 0, "losses": 0, "_version": 0,
    "datasets": 1, "model_selection": 1, "preprocessing": 1, "metrics": 1,
    "thresholding": 2, "resampling": 2,
    "neural_net": 3, "ensemble": 3, "plotting": 3,
    "recipes": 4, "persistence": 4,
    "_demo": 5, "submission": 5, "inference": 5,
    "_cli": 6,
}  # fmt: skip


def _cross_package_imports():
    """(place, importing package, imported module parts, imported names) of relative imports."""
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("").parts
        if rel[0] in ("__init__", "__main__"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.level):
                continue
            here = list(rel[:-1])
            base = here[: len(here) - node.level + 1]
            names = [alias.name for alias in node.names]
            where = f"{path.relative_to(PACKAGE)}:{node.lineno}"
            if node.module:
                target = base + node.module.split(".")
                if target[0] != rel[0]:
                    yield where, rel[0], target, names
            elif not base:  # ``from .. import x``: each name is a module of skhpa
                for name in names:
                    if name != rel[0]:
                        yield where, rel[0], [name], []


def test_packages_import_only_lower_layers_through_public_names():
    imports = list(_cross_package_imports())
    unknown = {t[0] for _, _, t, _ in imports} | {p for _, p, _, _ in imports}
    assert unknown <= set(_LAYERS), f"add {sorted(unknown - set(_LAYERS))} to _LAYERS"
    upward, private = [], []
    for where, package, target, names in imports:
        if target == ["submission"] and package == "inference":
            continue  # the deprecated alias re-exports what it names
        if _LAYERS[target[0]] >= _LAYERS[package]:
            upward.append(f"{where}: {package} imports {'.'.join(target)}")
        hidden = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if package != "_cli" and (any(p.startswith("_") for p in target[1:]) or hidden):
            private.append(f"{where}: {package} imports {'.'.join(target)} {hidden}")
    assert upward == []
    assert private == []
