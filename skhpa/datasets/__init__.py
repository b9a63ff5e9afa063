"""HPA labels, the Kaggle data layout and the built-in synthetic HPA-like data.

The HPA constants (:data:`CLASS_NAMES`, :data:`CHANNELS`, ...) live in
:mod:`skhpa.utils` and are re-exported here.
"""

from ..utils import CHANNELS, CLASS_NAMES, IMAGE_EXTENSIONS, N_CLASSES
from ._antibodies import antibody_groups
from ._kaggle import (
    channel_paths,
    load_hpa,
    load_image_folder,
    read_labels_csv,
    read_submission,
    write_submission,
    write_target_rows,
)
from ._labels import (
    format_targets,
    hpa_label_matrix,
    hpa_label_sets,
    parse_targets,
)
from ._synthetic import GENERATOR_VERSION, make_hpa_like, write_hpa_like

__all__ = [
    "CHANNELS",
    "CLASS_NAMES",
    "GENERATOR_VERSION",
    "IMAGE_EXTENSIONS",
    "N_CLASSES",
    "antibody_groups",
    "channel_paths",
    "format_targets",
    "hpa_label_matrix",
    "hpa_label_sets",
    "load_hpa",
    "load_image_folder",
    "make_hpa_like",
    "parse_targets",
    "read_labels_csv",
    "read_submission",
    "write_hpa_like",
    "write_submission",
    "write_target_rows",
]
