"""Every third-party package that skhpa imports is declared in pyproject.toml."""

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_top_level_modules(package_dir):
    names = set()
    for path in package_dir.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(pyproject):
    project = pyproject["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return {_normalize(re.match(r"[A-Za-z0-9_.\-]+", s).group(0)) for s in specs}


def test_every_imported_distribution_is_declared():
    tomllib = pytest.importorskip("tomllib")  # Python >= 3.11
    declared = _declared(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8")))
    third_party = _imported_top_level_modules(ROOT / "skhpa") - set(sys.stdlib_module_names)
    third_party.discard("skhpa")
    dists = packages_distributions()
    missing = {}
    for module in sorted(third_party):
        names = dists.get(module)
        assert names, f"skhpa imports {module!r}, which no installed distribution provides"
        if not any(_normalize(n) in declared for n in names):
            missing[module] = names
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"
    # the two the issue found undeclared are among those checked
    assert {"safetensors", "tqdm"} <= third_party
