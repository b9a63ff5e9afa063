"""Utilities shared by the skhpa subpackages."""

from ._io import atomic_write, validate_sample_id
from ._validation import check_multilabel_target

__all__ = ["atomic_write", "validate_sample_id", "check_multilabel_target"]
