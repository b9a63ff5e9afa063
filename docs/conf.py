"""Sphinx configuration for skhpa (numpydoc, autosummary, sphinx-gallery)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

import skhpa

project = "skhpa"
author = "the skhpa developers"
copyright = "2026, the skhpa developers"
version = release = skhpa.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
# Links to other projects' docs need the network; off by default so that `make docs` builds
# without warnings offline. SKHPA_DOCS_ONLINE=1 turns them on.
if os.environ.get("SKHPA_DOCS_ONLINE") == "1":
    extensions.append("sphinx.ext.intersphinx")

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# The generated set_*_request methods (metadata routing) refer to scikit-learn's glossary.
autodoc_default_options = {
    "members": True,
    "inherited-members": False,
    "exclude-members": ",".join(
        f"set_{m}_request"
        for m in ("fit", "partial_fit", "predict", "predict_proba", "score", "transform", "split")
    ),
}
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py", "auto_examples/*.zip"]
templates_path = []
html_theme = "alabaster"
html_static_path = []

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "torch": ("https://pytorch.org/docs/stable", None),
}
intersphinx_timeout = 5

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "download_all_examples": False,
    "plot_gallery": "True",
}
