"""Ensembles of skhpa estimators: the weighted mean of several models' probabilities.

A fold ensemble (K models of one recipe) is ``ThresholdOptimizer(cv=K, refit=False)``;
:class:`ProbabilityBlend` joins different models (the network and the feature model).
"""

from ._blend import ProbabilityBlend, best_blend_weights
from ._blend import tuned_scores_text as tuned_scores_text  # for the CLI and the demo

__all__ = ["ProbabilityBlend", "best_blend_weights"]
