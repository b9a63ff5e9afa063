"""skhpa: scikit-learn-compatible classification of protein localization in HPA images."""

from ._version import __version__
from .thresholding import ThresholdOptimizer

__all__ = ["ThresholdOptimizer", "__version__"]
