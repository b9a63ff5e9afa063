"""The HPA data conventions: class names, channel names, channel file names.

The one home of the constants that every layer needs (the loader, the metrics, the
figures, the generator) and of the one check of channel names. It imports nothing but
the standard library, so a module that needs ``CHANNELS`` or ``CLASS_NAMES`` does not
load the synthetic-data generator or any estimator. :mod:`skhpa.datasets` re-exports
the constants.
"""

import glob
import os

#: The 28 HPA 2018 localization classes, in index order.
CLASS_NAMES = (
    "Nucleoplasm",
    "Nuclear membrane",
    "Nucleoli",
    "Nucleoli fibrillar center",
    "Nuclear speckles",
    "Nuclear bodies",
    "Endoplasmic reticulum",
    "Golgi apparatus",
    "Peroxisomes",
    "Endosomes",
    "Lysosomes",
    "Intermediate filaments",
    "Actin filaments",
    "Focal adhesion sites",
    "Microtubules",
    "Microtubule ends",
    "Cytokinetic bridge",
    "Mitotic spindle",
    "Microtubule organizing center",
    "Centrosome",
    "Lipid droplets",
    "Plasma membrane",
    "Cell junctions",
    "Mitochondria",
    "Aggresome",
    "Cytosol",
    "Cytoplasmic bodies",
    "Rods & rings",
)

#: Number of HPA classes (28).
N_CLASSES = len(CLASS_NAMES)

#: Channel names in the Kaggle file names, in the conventional RGBY order.
CHANNELS = ("red", "green", "blue", "yellow")

#: Image file extensions recognised, in the order they are tried (also in upper case:
#: ``.JPG``, as cameras and Windows exports write it).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".tif", ".tiff")

# what find_extension tries: each extension as written, then in upper case
EXTENSIONS_TRIED = IMAGE_EXTENSIONS + tuple(e.upper() for e in IMAGE_EXTENSIONS)


def check_channels(channels, *, name="channels"):
    """Check a sequence of channel names and return it as a tuple.

    Parameters
    ----------
    channels : sequence of str
        Distinct names from :data:`CHANNELS`, at least one, in any order.
    name : str, default="channels"
        What the error message calls the parameter.

    Returns
    -------
    channels : tuple of str

    Raises
    ------
    ValueError
        For a single string, an empty sequence, an unknown name or a repeated
        one; the message says which.

    Examples
    --------
    >>> from skhpa.utils import check_channels
    >>> check_channels(["green", "blue"])
    ('green', 'blue')
    >>> check_channels(["green", "purple"])
    Traceback (most recent call last):
    ...
    ValueError: channels must be distinct names from (...): 'purple' is not a channel name
    """
    if isinstance(channels, str):
        raise ValueError(
            f"{name} must be a sequence of names from {CHANNELS}, got the string {channels!r} "
            f"(write ({channels!r},) for one channel)"
        )
    try:
        given = tuple(channels)
    except TypeError:
        raise ValueError(
            f"{name} must be a sequence of names from {CHANNELS}, got {channels!r}"
        ) from None
    unknown = [c for c in given if c not in CHANNELS]
    repeated = sorted({c for c in given if given.count(c) > 1})
    if not given:
        why = "no channel"
    elif unknown:
        why = f"{unknown[0]!r} is not a channel name"
    elif repeated:
        why = f"{repeated[0]!r} is repeated"
    else:
        return given
    raise ValueError(f"{name} must be distinct names from {CHANNELS}, got {given!r}: {why}")


def find_extension(stem, channel):
    """The extension of the file ``{stem}_{channel}{ext}`` that exists, or None.

    The extensions of :data:`IMAGE_EXTENSIONS` are tried in order, then the same in
    upper case (``.JPG``), then any other mix of cases (``.Png``).

    Parameters
    ----------
    stem : str or path-like
        Path without the channel suffix: ``{folder}/{Id}``.
    channel : str

    Returns
    -------
    extension : str or None

    Examples
    --------
    >>> import os, tempfile
    >>> from skhpa.utils import find_extension
    >>> d = tempfile.mkdtemp()
    >>> open(os.path.join(d, "a_green.tif"), "wb").close()
    >>> find_extension(os.path.join(d, "a"), "green"), find_extension(os.path.join(d, "a"), "red")
    ('.tif', None)
    """
    stem = os.fspath(stem)
    for ext in EXTENSIONS_TRIED:
        if os.path.isfile(f"{stem}_{channel}{ext}"):
            return ext
    # rare mixed cases (.Png): one listing of the folder, only when the others failed
    for path in sorted(glob.glob(f"{glob.escape(stem)}_{glob.escape(channel)}.*")):
        ext = path[len(stem) + len(channel) + 1 :]
        if ext.lower() in IMAGE_EXTENSIONS and os.path.isfile(path):
            return ext
    return None
