"""skhpa: scikit-learn-compatible classification of protein localization in HPA images."""

from ._version import __version__
from .neural_net import HPAClassifier, move_to_device
from .persistence import load_model, save_model
from .thresholding import ThresholdOptimizer

__all__ = [
    "HPAClassifier",
    "ThresholdOptimizer",
    "__version__",
    "load_model",
    "move_to_device",
    "save_model",
]
