"""Procedural HPA-like images: fields of cells in 4 channels with class-specific green patterns.

Every image is built from one random field geometry (cells, nuclei, nucleoli,
microtubule organizing centres, dividing cells) and the reference channels are
drawn from it: blue = nuclei (nucleoli as dark holes, condensed DNA in mitosis),
red = microtubules filling the cytoplasm (a fine network and fibres from the
MTOC), yellow = the ER, a reticular fill densest around the nucleus; intensities,
background and camera noise are calibrated against real HPA fields
(``benchmarks/bench_realism.py``). The green channel holds the pattern of each class in the
sample's label set, placed relative to that same geometry (see
``docs/synthetic_data.rst`` for the table). Label sets are drawn from the real
HPA label-set distribution (:func:`~skhpa.datasets.hpa_label_sets`).

The modules, from the bottom up:

- ``_textures``: the fast blur and the cached noise textures;
- ``_field``: :class:`Field`, the geometry of one field of view;
- ``_patterns``: :data:`PATTERNS`, the green pattern of each class;
- ``_render``: :func:`render_sample`, the channels and the camera of one sample;
- ``_near_duplicates``: :func:`near_duplicate`, the copies that ``duplicate_fraction`` plants;
- ``_generator``: :func:`make_hpa_like` and :data:`GENERATOR_VERSION`;
- ``_kaggle_layout``: :func:`write_hpa_like`, the dataset written as Kaggle ships it.

All sizes are given in pixels of a 512 px field and scaled with ``image_size``.
"""

from ._field import Field
from ._generator import GENERATOR_VERSION, make_hpa_like
from ._kaggle_layout import write_hpa_like
from ._near_duplicates import DUPLICATE_KINDS, near_duplicate
from ._patterns import PATTERNS
from ._render import draw_field, paint_channels, render_sample

__all__ = [
    "DUPLICATE_KINDS",
    "Field",
    "GENERATOR_VERSION",
    "PATTERNS",
    "draw_field",
    "make_hpa_like",
    "near_duplicate",
    "paint_channels",
    "render_sample",
    "write_hpa_like",
]
