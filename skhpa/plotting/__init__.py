"""Figures: HPA composites and montages, per-class F1, threshold and training curves."""

from ._plots import (
    composite,
    plot_montage,
    plot_per_class_f1,
    plot_sample,
    plot_threshold_curves,
    plot_training_curves,
)

__all__ = [
    "composite",
    "plot_montage",
    "plot_per_class_f1",
    "plot_sample",
    "plot_threshold_curves",
    "plot_training_curves",
]
