"""Cross-validation for multilabel HPA targets: iterative stratification, groups, duplicates."""

from ._check_cv import check_multilabel_cv
from ._duplicates import duplicate_groups
from ._groups import merge_groups
from ._quality import stratification_scores
from ._split import (
    MultilabelStratifiedGroupKFold,
    MultilabelStratifiedKFold,
    MultilabelStratifiedShuffleSplit,
    multilabel_train_test_split,
)
from ._split import held_out_split as held_out_split  # internal: the held-out protocols' split

__all__ = [
    "MultilabelStratifiedGroupKFold",
    "MultilabelStratifiedKFold",
    "MultilabelStratifiedShuffleSplit",
    "check_multilabel_cv",
    "duplicate_groups",
    "merge_groups",
    "multilabel_train_test_split",
    "stratification_scores",
]
