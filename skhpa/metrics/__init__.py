"""Multilabel metrics: the per-class report (macro-F1 next to per-label accuracy)."""

from ._report import per_class_report

__all__ = ["per_class_report"]
