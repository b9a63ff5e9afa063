"""Figures as scikit-learn-style displays, and the HPA composite of an image.

Each display holds the computed values and draws them with ``plot(ax=...)``;
build one with ``from_estimator`` or ``from_predictions`` (``from_history``
for training curves), as :class:`sklearn.metrics.RocCurveDisplay`. matplotlib
is imported when a figure is drawn, not with :mod:`skhpa`.
"""

from ._images import composite, plot_sample
from ._montage import MontageDisplay, plot_montage
from ._per_class_f1 import PerClassF1Display, plot_per_class_f1
from ._threshold_curve import ThresholdCurveDisplay, plot_threshold_curves
from ._training_curve import TrainingCurveDisplay, plot_training_curves

__all__ = [
    "MontageDisplay",
    "PerClassF1Display",
    "ThresholdCurveDisplay",
    "TrainingCurveDisplay",
    "composite",
    "plot_montage",
    "plot_per_class_f1",
    "plot_sample",
    "plot_threshold_curves",
    "plot_training_curves",
]
