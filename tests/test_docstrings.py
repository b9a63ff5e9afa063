"""A numpydoc-style check of the public API: every parameter documented, a Returns section
where a function returns a value, and every public name in docs/api.rst.

numpydoc is not a dependency, so this is a small checker: ``inspect.signature`` against the
names of the "Parameters" section, and the source's ``return`` statements against "Returns".
"""

import ast
import importlib
import inspect
import re
import textwrap
from pathlib import Path

import pytest

_PACKAGES = [
    "skhpa",
    "skhpa.datasets",
    "skhpa.ensemble",
    "skhpa.losses",
    "skhpa.metrics",
    "skhpa.model_selection",
    "skhpa.neural_net",
    "skhpa.nn",
    "skhpa.persistence",
    "skhpa.plotting",
    "skhpa.preprocessing",
    "skhpa.resampling",
    "skhpa.thresholding",
    "skhpa.recipes",
    "skhpa.submission",
]
# public modules without an ``__all__``: their public functions, as docs/api.rst lists them
_NO_ALL = {
    "skhpa.recipes": [
        "seed_recipe",
        "skhpa_recipe",
        "features_recipe",
        "blend_recipe",
        "fit_with_thresholds",
    ],
    "skhpa.submission": ["predict_submission", "model_fingerprint"],
}
_API_RST = Path(__file__).resolve().parents[1] / "docs" / "api.rst"


def _public_names():
    for package in _PACKAGES:
        module = importlib.import_module(package)
        for name in getattr(module, "__all__", None) or _NO_ALL[package]:
            if not name.startswith("__"):
                yield package, name, getattr(module, name)


def _section(doc, title):
    """The lines of a numpydoc section, or None when the docstring has none."""
    lines = inspect.cleandoc(doc or "").splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.strip() == title and set(lines[i + 1].strip()) == {"-"}:
            body = []
            for nxt in lines[i + 2 :]:
                if nxt.strip() and set(nxt.strip()) == {"-"}:
                    body.pop()  # the title of the next section
                    break
                body.append(nxt)
            return body
    return None


def _documented_parameters(doc):
    names = set()
    for line in _section(doc, "Parameters") or []:
        if line and not line[0].isspace():
            head = line.split(" : ")[0].strip()
            for part in head.split(","):
                names.add(part.strip().lstrip("*"))
    return names


def _returns_a_value(func):
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return False
    top = tree.body[0]
    for node in ast.walk(top):
        if isinstance(node, (ast.FunctionDef, ast.Lambda)) and node is not top:
            continue
        if isinstance(node, ast.Return) and node.value is not None:
            if not (isinstance(node.value, ast.Constant) and node.value.value is None):
                return True
    return False


def _own_functions():
    """(qualified name, function, docstring holder) of every public function and method."""
    seen = set()
    for package, name, obj in _public_names():
        if inspect.isfunction(obj):
            if obj not in seen:
                seen.add(obj)
                yield f"{package}.{name}", obj, obj
        elif inspect.isclass(obj) and obj.__module__.startswith("skhpa"):
            if obj in seen:
                continue
            seen.add(obj)
            init = obj.__dict__.get("__init__")
            if init is not None:
                yield f"{package}.{name}", init, obj
            for attr in dir(obj):
                member = inspect.getattr_static(obj, attr)
                member = getattr(member, "fn", member)  # unwrap available_if
                if attr.startswith("_") or not inspect.isfunction(member):
                    continue
                if not member.__module__.startswith("skhpa") or member in seen:
                    continue
                seen.add(member)
                yield f"{package}.{name}.{attr}", member, member


# Known gaps when this check was added (issue 21), all closed since: strict xfails, so a fixed
# gap must leave the list and no new gap can join it. Keep these empty; never grow them.
_KNOWN_PARAMETER_GAPS: set[str] = set()
_KNOWN_RETURNS_GAPS: set[str] = set()


def _cases(known):
    return [
        pytest.param(
            q,
            f,
            h,
            id=q,
            marks=[pytest.mark.xfail(reason="known docstring gap", strict=True)]
            if q in known
            else [],
        )
        for q, f, h in _own_functions()
    ]


def _parameters(func):
    out = []
    for p in list(inspect.signature(func).parameters.values()):
        if p.name in ("self", "cls"):
            continue
        out.append(p.name)
    return out


@pytest.mark.parametrize("qualname, func, holder", _cases(_KNOWN_PARAMETER_GAPS))
def test_parameters_are_documented(qualname, func, holder):
    wanted = set(_parameters(func))
    if not wanted:
        return
    missing = sorted(wanted - _documented_parameters(holder.__doc__))
    assert not missing, f"{qualname}: parameters not in the docstring: {missing}"


@pytest.mark.parametrize("qualname, func, holder", _cases(_KNOWN_RETURNS_GAPS))
def test_returns_are_documented(qualname, func, holder):
    if func.__name__ == "__init__" or not _returns_a_value(func):
        return
    doc = func.__doc__
    if _section(doc, "Returns") is None and _section(doc, "Yields") is None:
        # fit-like methods documented as "Returns self" in one line are fine too
        assert doc and re.search(r"\bself\b", doc.split("\n")[0]), (
            f"{qualname}: returns a value but has no Returns section"
        )


def test_every_public_name_is_in_api_rst():
    # listed under its public path, relative to ``.. currentmodule:: skhpa``
    text = _API_RST.read_text()
    entries = set(re.findall(r"^   ([\w.]+)$", text, flags=re.M))
    missing = []
    for package, name, obj in _public_names():
        if not getattr(obj, "__module__", "skhpa").startswith("skhpa") and f"{name}``" in text:
            continue  # a re-export of another library's class, named in the text (not
            # autosummarized: its docstring is not written for our build)
        relative = package.removeprefix("skhpa").lstrip(".")
        qualified = f"{relative}.{name}" if relative else name
        # a name re-exported at the top (skhpa.HPAClassifier) may be listed there only
        if qualified not in entries and name not in entries:
            missing.append(f"{package}.{name}")
    assert not missing, f"docs/api.rst does not list: {missing}"
