"""Decoding one HPA channel file (PNG 8/16-bit, JPEG, TIFF) into a uint8 plane.

Greyscale 8- and 16-bit PNGs (every Kaggle HPA channel file) are decoded by libpng through
imagecodecs when it is installed: 1.27x Pillow's speed in one thread, 1.40x in two, on the
real 512 px channel files (``python benchmarks/run_all.py loader``), with identical pixels.
Every other file, and any PNG libpng rejects, goes through Pillow, whose errors the messages
below are written for.
"""

import contextlib
import logging
import os
import struct
import threading
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

from ..utils import check_channels

try:
    import imagecodecs
except ImportError:  # a declared dependency; without it Pillow decodes everything
    imagecodecs = None


class ImageReadError(ValueError):
    """A channel file could not be read; the message names the sample Id and the file."""


# Component of an RGB file (HPA v18 JPEG) that carries each channel's data.
_RGB_COMPONENT = {"red": (0,), "green": (1,), "blue": (2,), "yellow": (0, 1)}


def to_uint8(arr, mode):
    """Convert a decoded plane to uint8 by the documented rule.

    - 8-bit (mode ``L``): unchanged.
    - 16-bit (``I;16``, ``I;16B``, ``I`` within 0-65535): linear full-range
      scaling ``round(x / 257)``, so 65535 -> 255 and relative intensities are
      kept across images (no per-image stretching).

    Parameters
    ----------
    arr : ndarray
        The decoded plane.
    mode : str
        Pillow's mode of the image, named in the error message.

    Returns
    -------
    plane : ndarray, dtype uint8
        Same shape as ``arr``.
    """
    if arr.dtype == np.uint8:
        return arr
    if (
        arr.dtype in (np.uint16, np.int32, np.uint32, np.int64)
        and arr.min() >= 0
        and arr.max() <= 65535
    ):
        return ((arr.astype(np.uint32) * 2 + 257) // 514).astype(np.uint8)
    raise ValueError(f"unsupported pixel values for mode {mode} (dtype {arr.dtype})")


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_in_fast_path = threading.local()


class _QuietInFastPath(logging.Filter):
    """Drops imagecodecs' libpng warnings logged while this thread is in _read_grey_png.

    A PNG that libpng rejects is decoded again by Pillow, whose error names the file;
    the warnings before libpng's error ("PNG warning: IDAT: incorrect data check") would
    only repeat it on stderr. Other code's imagecodecs calls still log as before.
    """

    def filter(self, record):
        return not getattr(_in_fast_path, "active", False)


if imagecodecs is not None:
    logging.getLogger("imagecodecs").addFilter(_QuietInFastPath())


def _read_grey_png(path):
    """A greyscale 8/16-bit PNG decoded by libpng (imagecodecs); None for Pillow to decode.

    None also for any file libpng cannot decode and for images over Pillow's
    decompression-bomb limit: Pillow's path then raises the error that names the problem.
    """
    if imagecodecs is None or not os.fspath(path).lower().endswith(".png"):
        return None
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None
    # The IHDR chunk comes first: width, height, bit depth, colour type (0 = greyscale).
    if len(data) < 33 or data[:8] != _PNG_SIGNATURE or data[12:16] != b"IHDR":
        return None
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    limit = Image.MAX_IMAGE_PIXELS
    if colour != 0 or depth not in (8, 16) or (limit is not None and width * height > limit):
        return None
    _in_fast_path.active = True
    try:
        plane = imagecodecs.png_decode(data)
    except Exception:  # noqa: BLE001 - libpng said no: Pillow decodes or explains
        return None
    finally:
        _in_fast_path.active = False
    return plane if plane.shape == (height, width) else None


@contextlib.contextmanager
def _open_image(path, who):
    """Open an image file; every way it can fail becomes one ImageReadError naming the file.

    Pillow's decompression-bomb limit is an error, not a warning.
    """
    if not os.path.isfile(path):
        raise ImageReadError(f"{who}file not found: {path}")
    if os.path.getsize(path) == 0:
        raise ImageReadError(f"{who}file {path}: empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                yield im
    except ImageReadError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(f"{who}file {path}: image too large ({exc})") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(f"{who}file {path}: corrupt or truncated image ({exc})") from None


_WARNED = set()  # kinds of file warning given in this process: a folder warns once, not per file


def _warn_once(kind, message):
    if kind in _WARNED:
        return
    _WARNED.add(kind)
    warnings.warn(
        message + " (said once per process; other files like it are not named)",
        UserWarning,
        stacklevel=4,
    )


def _warn_if_other_colour(rgb, kept, comps, channel, path, who):
    """Warn when an RGB file's component for ``channel`` is black but another is not.

    A channel file saved in another display colour (a green channel stored as
    blue) would otherwise be read as an all-black channel, silently.
    """
    if rgb.size == 0 or int(kept.max()) > 2:
        return
    others = [c for c in range(3) if c not in comps]
    top = int(rgb[..., others].max()) if others else 0
    if top > 16:
        shown = ", ".join(("red", "green", "blue")[c] for c in others)
        _warn_once(
            "other colour",
            f"{who}file {path}: the {channel} channel's component of this RGB file is black, "
            f"but its {shown} component is not (up to {top}): the file may be saved in another "
            f"colour; the {channel} channel is read as black",
        )


def _warn_if_few_bits(arr, path, who):
    """Warn when a 16-bit plane uses 12 bits or fewer: it becomes nearly black in 8 bits.

    The documented rule, ``round(x / 257)``, keeps intensities comparable across
    images; data of a 12-bit camera (values up to 4095) end at 16 or below.
    """
    if arr.dtype == np.uint8 or arr.size == 0:
        return
    top = int(arr.max())
    if 0 < top < 4096:
        _warn_once(
            "few bits",
            f"{who}file {path}: a 16-bit image with values up to {top} only (12-bit camera "
            f"data?) becomes nearly black in 8 bits (round(x / 257): up to "
            f"{(top * 2 + 257) // 514}); scale such files to the 16-bit range, or to 8 bits "
            "with your own rule, before reading them",
        )


def read_channel(path, channel, *, sample_id=None):
    """Read one channel file as a 2-D uint8 array.

    RGB files (HPA v18 JPEG) keep the component named by ``channel`` (yellow:
    the mean of red and green). Pillow's decompression-bomb limit is an error,
    not a warning.

    Parameters
    ----------
    path : str or path-like
        The image file.
    channel : {"red", "green", "blue", "yellow"}
        The channel the file holds (or, for an RGB file, the one to keep).
    sample_id : str, default=None
        Named in the error message when the file cannot be read.

    Returns
    -------
    image : ndarray of shape (height, width), dtype uint8

    Raises
    ------
    ImageReadError
        The file is missing, truncated, too large or of an unsupported mode.
    """
    who = f"sample {sample_id!r}, " if sample_id is not None else ""
    check_channels((channel,), name="channel")
    plane = _read_grey_png(path)
    if plane is not None:
        _warn_if_few_bits(plane, path, who)
        return to_uint8(plane, "L" if plane.dtype == np.uint8 else "I;16")
    with _open_image(path, who) as im:
        im.load()
        mode = im.mode
        if mode in ("L", "I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im)
        elif mode == "RGB":
            rgb = np.asarray(im)
            comps = _RGB_COMPONENT[channel]
            arr = (
                rgb[..., comps[0]]
                if len(comps) == 1
                else rgb[..., list(comps)].mean(-1).round().astype(np.uint8)
            )
            _warn_if_other_colour(rgb, arr, comps, channel, path, who)
        else:
            raise ImageReadError(
                f"{who}file {path}: image mode {mode!r} cannot be interpreted as one "
                "fluorescence channel (expected L, I;16 or RGB)"
            )
    if arr.ndim != 2:
        raise ImageReadError(f"{who}file {path}: expected a 2-D plane, got shape {arr.shape}")
    _warn_if_few_bits(arr, path, who)
    try:
        return to_uint8(arr, mode)
    except ValueError as exc:
        raise ImageReadError(f"{who}file {path}: {exc}") from None


def resize_plane(plane, size):
    """Resize a uint8 plane to ``size`` (an int for a square, or ``(height, width)``).

    Box (area) filter when shrinking, bilinear when enlarging. A shrink by
    whole factors (512 -> 256, 128, 64 px) averages each block of pixels
    exactly (rounded to the nearest integer) with :meth:`PIL.Image.Image.reduce`:
    2-4x faster than Pillow's box resize, which is off by up to one grey
    level from the exact mean (``python benchmarks/run_all.py resize``).
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    if plane.shape == (h, w):
        return plane
    H, W = plane.shape
    if H % h == 0 and W % w == 0:  # whole factors (here H >= h and W >= w)
        return np.asarray(Image.fromarray(plane).reduce((W // w, H // h)))
    resample = Image.Resampling.BOX if H >= h and W >= w else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(plane).resize((w, h), resample=resample))


def native_shape(path, *, sample_id=None):
    """The (height, width) of an image file, read from its header (no decoding)."""
    who = f"sample {sample_id!r}, " if sample_id is not None else ""
    with _open_image(path, who) as im:
        width, height = im.size
    return int(height), int(width)


def read_sample(paths, channels, image_size, *, sample_id=None, out=None):
    """Read the channel files of one sample into a (C, H, W) uint8 array.

    ``image_size``: None keeps the native size; an int or ``(height, width)``
    resizes every channel to it. ``out``: a (C, H, W) uint8 array to fill in
    place (no intermediate stack); its shape must match.
    """
    planes = []
    for path, channel in zip(paths, channels):
        planes.append(read_channel(path, channel, sample_id=sample_id))
    shapes = {p.shape for p in planes}
    if len(shapes) > 1:
        detail = ", ".join(f"{os.path.basename(p)}: {pl.shape}" for p, pl in zip(paths, planes))
        raise ImageReadError(f"sample {sample_id!r}: channel images differ in size ({detail})")
    if image_size is not None:
        planes = [resize_plane(p, image_size) for p in planes]
    if out is None:
        return np.stack(planes)
    if out.shape != (len(planes),) + planes[0].shape:
        raise ImageReadError(
            f"sample {sample_id!r} has shape {(len(planes),) + planes[0].shape}, "
            f"expected {out.shape}"
        )
    for k, plane in enumerate(planes):
        out[k] = plane
    return out
