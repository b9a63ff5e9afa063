"""Ensembles of skhpa estimators: the weighted mean of several models' probabilities.

A fold ensemble (K models of one recipe) is ``ThresholdOptimizer(cv=K, refit=False)``;
:class:`ProbabilityBlend` joins different models (the network and the feature model).
"""

from ._blend import ProbabilityBlend, best_blend_weights

__all__ = ["ProbabilityBlend", "best_blend_weights"]
