"""Doctests keep their example files in pytest's ``tmp_path``, which pytest cleans up.

The examples call :func:`tempfile.mkdtemp` as a reader would; here it creates its folders
inside the test's own temporary folder instead of leaving them in the system's.
"""

import tempfile

import pytest


@pytest.fixture(autouse=True)
def _doctest_temp_folders_in_tmp_path(request, monkeypatch):
    if type(request.node).__name__ == "DoctestItem":
        monkeypatch.setattr(tempfile, "tempdir", str(request.getfixturevalue("tmp_path")))
