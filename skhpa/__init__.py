"""skhpa: scikit-learn-compatible classification of protein localization in HPA images."""

from ._version import __version__

__all__ = ["__version__"]
