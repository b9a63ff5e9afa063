"""skhpa: scikit-learn-compatible classification of protein localization in HPA images.

The public names are imported on first use (PEP 562), so ``import skhpa`` and the command
line's ``--help`` do not wait for torch and scikit-learn, and Ctrl-C while they load is
handled by the command line like any other Ctrl-C.
"""

import importlib

from ._version import __version__

_LAZY = {
    "HPAClassifier": ".neural_net",
    "move_to_device": ".neural_net",
    "load_model": ".persistence",
    "save_model": ".persistence",
    "ThresholdOptimizer": ".thresholding",
}

__all__ = [
    "HPAClassifier",
    "ThresholdOptimizer",
    "__version__",
    "load_model",
    "move_to_device",
    "save_model",
]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name], __name__), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
