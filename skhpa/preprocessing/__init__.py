"""Image transformers: Ids to pixels (parallel, cached, lazy) and array transformers."""

from ._array_transformers import ChannelSelector, ChannelStandardizer, Resize
from ._decode import ImageReadError, read_channel, to_uint8
from ._features import LocalizationFeatures
from ._loader import ImageLoader, LazyImageArray
from ._loader import image_loader_of as image_loader_of  # for plotting and the CLI

__all__ = [
    "ChannelSelector",
    "ChannelStandardizer",
    "ImageLoader",
    "ImageReadError",
    "LazyImageArray",
    "LocalizationFeatures",
    "Resize",
    "read_channel",
    "to_uint8",
]
