"""The README's usage snippet runs as written."""

import re
from pathlib import Path

import pytest

README = Path(__file__).parents[1] / "README.rst"


def python_blocks(text):
    """The bodies of the ``.. code-block:: python`` directives, dedented."""
    blocks = []
    for match in re.finditer(r"\.\. code-block:: python\n\n((?:    .*\n|\n)+)", text):
        lines = match.group(1).splitlines()
        blocks.append("\n".join(line[4:] for line in lines) + "\n")
    return blocks


@pytest.mark.slow
def test_readme_usage_runs_as_written(tmp_path, monkeypatch, capsys):
    blocks = python_blocks(README.read_text())
    assert len(blocks) == 1 and "fit_with_thresholds" in blocks[0]
    monkeypatch.chdir(tmp_path)
    exec(compile(blocks[0], "README.rst", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert "macro" in out and "per-label accuracy" in out
    assert (tmp_path / "model.skhpa").is_file()
