"""ImageLoader: sample Ids or paths in, uint8 images out (parallel, cached, or lazy)."""

import functools
import hashlib
import io
import numbers
import os
from pathlib import Path

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils import (
    CHANNELS,
    IMAGE_EXTENSIONS,
    Interval,
    atomic_write,
    check_channels,
    find_extension,
    validate_sample_id,
)
from ..utils import fit_context as _fit_context
from ._decode import ImageReadError, native_shape, read_sample
from ._image_output import ImageOutputMixin

# 3: shrinks by whole factors average exactly (resize_plane); entries of 2 are misses
_CACHE_FORMAT = 3


class _Source:
    """Where the files of each sample are: picklable (paths only, no pixels)."""

    def __init__(self, root, channels, extension, image_size):
        self.root = None if root is None else os.fspath(root)
        self.channels = tuple(channels)
        if extension and not extension.startswith("."):
            extension = "." + extension  # "png" means ".png", not "{Id}_greenpng"
        self.extension = extension
        self.image_size = image_size  # (height, width) every sample is resized to

    def stems(self, ids):
        out = []
        for i, sid in enumerate(ids):
            sid = os.fspath(sid) if not isinstance(sid, str) else sid
            if self.root is not None:
                validate_sample_id(sid, row=i)
                out.append(os.path.join(self.root, sid))
            else:
                if not sid:
                    raise ValueError(f"empty path stem at row {i}")
                out.append(sid)
        return out

    def find_extension(self, stem):
        if self.extension is not None:
            return self.extension
        ext = find_extension(stem, self.channels[0])
        if ext is not None:
            return ext
        where = ""
        if not os.path.isabs(stem):  # relative stems resolve against the working directory
            where = f" (relative to the working directory {os.getcwd()})"
        hint = ""
        if self.root is not None:
            hint = (
                f"; this ImageLoader reads Ids from root={self.root!r}: to load samples of any "
                "folder, build it without root and pass path stems (load_hpa(...).stems)"
            )
        raise ImageReadError(
            f"sample {os.path.basename(stem)!r}: no file {stem}_{self.channels[0]}.*{where} "
            f"(tried {', '.join(IMAGE_EXTENSIONS)}){hint}"
        )

    def paths(self, stem, ext):
        return [f"{stem}_{c}{ext}" for c in self.channels]


def _cache_key(paths, channels, image_size):
    h = hashlib.sha1()
    size = "x".join(str(int(v)) for v in image_size)
    h.update(f"v{_CACHE_FORMAT}|{','.join(channels)}|{size}".encode())
    for p in paths:
        st = os.stat(p)
        h.update(f"|{os.path.abspath(p)}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()


def _cache_entry(cache, source, paths, sample_id):
    try:
        key = _cache_key(paths, source.channels, source.image_size)
    except FileNotFoundError:
        missing = [p for p in paths if not os.path.isfile(p)]
        raise ImageReadError(f"sample {sample_id!r}: file not found: {missing[0]}") from None
    return Path(cache) / key[:2] / (key + ".npy")


@functools.lru_cache(maxsize=16)
def _npy_header(shape):
    """The bytes ``np.save`` writes before the data of a C-ordered uint8 array of ``shape``."""
    buf = io.BytesIO()
    header = {"descr": np.dtype(np.uint8).str, "fortran_order": False, "shape": tuple(shape)}
    np.lib.format.write_array_header_1_0(buf, header)
    return buf.getvalue()


def _read_cached(entry, out=None):
    """Read a cache entry, straight into ``out`` when given; None on a miss."""
    try:
        with open(entry, "rb") as fh:
            if out is not None:
                # Fast path: the header an entry of out's shape must have, compared as
                # bytes (parsing it with numpy's reader costs a literal_eval per sample).
                expected = _npy_header(out.shape)
                if fh.read(len(expected)) != expected:
                    return None
            else:
                version = np.lib.format.read_magic(fh)
                read_header = (
                    np.lib.format.read_array_header_1_0
                    if version == (1, 0)
                    else np.lib.format.read_array_header_2_0
                )
                shape, fortran, dtype = read_header(fh)
                if dtype != np.uint8 or fortran:
                    return None
                out = np.empty(shape, np.uint8)
            if fh.readinto(memoryview(out).cast("B")) != out.nbytes:
                return None
            return out
    except (FileNotFoundError, ValueError, OSError):
        return None  # a miss (a partial entry is never visible: entries are renamed into place)


def _load_one(source, stem, ext, cache, out=None):
    try:
        return _load_files(source, stem, source.paths(stem, ext), cache, out)
    except ImageReadError:
        # the extension was detected from the first sample: stems from several folders
        # may each have their own (.png and .jpg); only a failure looks for this one's
        other = None if source.extension is not None else find_extension(stem, source.channels[0])
        if other is None or other == ext:
            raise
        return _load_files(source, stem, source.paths(stem, other), cache, out)


def _load_files(source, stem, paths, cache, out):
    sample_id = os.path.basename(stem)
    entry = None
    if cache is not None:
        entry = _cache_entry(cache, source, paths, sample_id)
        hit = _read_cached(entry, out)
        if hit is not None:
            return hit
    img = read_sample(paths, source.channels, source.image_size, sample_id=sample_id, out=out)
    if entry is not None:
        # Not fsynced (4 ms per entry, 5x the cost of writing it): the rename hides
        # partial entries from concurrent readers, and an entry torn by a power loss
        # is shorter than its header says, which _read_cached treats as a miss.
        with atomic_write(entry, "wb", durable=False) as fh:
            np.save(fh, img, allow_pickle=False)
    return img


def _fill(source, stems, ext, cache, out, indices):
    for i in indices:
        _load_one(source, stems[i], ext, cache, out[i])


class LazyImageArray:
    """An array-like of images that decodes samples only when indexed.

    Returned by ``ImageLoader(lazy=True).transform``. It has ``shape``,
    ``dtype``, ``ndim`` and ``len``; integer, slice and fancy indexing return
    ndarrays; ``np.asarray`` loads everything. It pickles as paths and
    settings (a few bytes per sample), so it crosses process boundaries
    (DataLoader workers, joblib, Dask) cheaply, and a Pipeline whose last
    step is a network trains on data larger than RAM.

    Parameters
    ----------
    source : object
        Where each sample's channel files are (the root folder, channels,
        file extension and target image size of the :class:`ImageLoader`);
        internal.
    stems : sequence of str
        One path stem per sample (the channel files are
        ``{stem}_{channel}{ext}``).
    ext : str
        The files' extension (``".png"``, ...).
    shape : tuple of int
        The shape of one sample, ``(n_channels, height, width)``.
    cache : str or None, default=None
        Folder of the decoded-image cache, or None for no cache.
    """

    def __init__(self, source, stems, ext, shape, cache=None):
        self._source = source
        self._stems = list(stems)
        self._ext = ext
        self._cache = cache
        self.shape = (len(self._stems),) + tuple(shape)
        self.dtype = np.dtype(np.uint8)
        self.ndim = len(self.shape)

    def __len__(self):
        return len(self._stems)

    def __repr__(self):
        return f"LazyImageArray(shape={self.shape}, dtype=uint8)"

    def _one(self, i):
        return _load_one(self._source, self._stems[i], self._ext, self._cache)

    def __getitem__(self, key):
        if key is Ellipsis or (isinstance(key, tuple) and key and key[0] is Ellipsis):
            return self[:][key]  # every sample, then numpy's indexing of the rest
        if isinstance(key, tuple):
            first, rest = key[0], key[1:]
            return (
                self[first][(slice(None),) + rest]
                if not isinstance(first, numbers.Integral)
                else self[first][rest]
            )
        if isinstance(key, numbers.Integral):
            i = int(key)
            if i < 0:
                i += len(self)
            if not 0 <= i < len(self):
                raise IndexError(f"index {key} is out of bounds for {len(self)} samples")
            return self._one(i)
        if isinstance(key, slice):
            idx = range(*key.indices(len(self)))
        else:
            key = np.asarray(key)
            if key.dtype == bool:
                if key.shape != (len(self),):
                    raise IndexError("boolean index must have one entry per sample")
                key = np.flatnonzero(key)
            elif key.size and key.dtype.kind not in "iu":
                raise IndexError(
                    f"indices must be integers or booleans, got {key.dtype} ({key.ravel()[0]!r})"
                )
            idx = key.astype(np.int64).ravel()
            idx = np.where(idx < 0, idx + len(self), idx)
            if ((idx < 0) | (idx >= len(self))).any():
                raise IndexError(f"index out of bounds for {len(self)} samples")
        return self.take(idx)

    def take(self, indices, out=None):
        """The samples at integer ``indices``, read straight into ``out`` when given.

        Parameters
        ----------
        indices : array-like of int
            Sample positions (flattened; not bounds-checked as indexing
            does).
        out : ndarray, default=None
            A C-contiguous uint8 array of shape ``(len(indices),) + shape[1:]``
            (for example a view of shared memory that a DataLoader worker
            returns without a copy).

        Returns
        -------
        images : ndarray of shape (len(indices), n_channels, height, width), uint8
            The decoded samples: ``out`` when given, else a new array.
        """
        idx = np.asarray(indices, dtype=np.int64).ravel()
        shape = (len(idx),) + self.shape[1:]
        if out is None:
            out = np.empty(shape, dtype=np.uint8)
        elif out.shape != shape or out.dtype != np.uint8:
            raise ValueError(f"out must be a uint8 array of shape {shape}, got {out.shape}")
        for j, i in enumerate(idx):
            _load_one(self._source, self._stems[int(i)], self._ext, self._cache, out[j])
        return out

    def __array__(self, dtype=None, copy=None):
        arr = self[:]
        return arr if dtype is None else arr.astype(dtype)

    def subset(self, indices):
        """A lazy array over the given samples (no decoding).

        Parameters
        ----------
        indices : int, slice, array-like of int or boolean mask
            Any numpy index of the samples' positions.

        Returns
        -------
        subset : LazyImageArray
            A lazy array of the selected samples, in the order of ``indices``,
            with the same files, geometry and cache.
        """
        idx = np.arange(len(self))[indices]
        return LazyImageArray(
            self._source,
            [self._stems[i] for i in np.atleast_1d(idx)],
            self._ext,
            self.shape[1:],
            self._cache,
        )


class ImageLoader(ImageOutputMixin, TransformerMixin, BaseEstimator):
    """Turn sample Ids (or path stems) into uint8 images of shape (n, C, H, W).

    In user code ``X`` is a 1-D array of Ids: cheap to split, resample and
    pickle. This transformer reads the channel files ``{root}/{Id}_{color}.png``
    (or ``.jpg``/``.tif``) when pixels are needed.

    Parameters
    ----------
    root : str or path-like, optional
        Folder holding the channel files (e.g. ``load_hpa(...).image_dir``).
        Without it, each entry of ``X`` is a path stem (``/data/train/{Id}``).
    channels : sequence of str, default=("red", "green", "blue", "yellow")
        Channels to read, in order; ``("green",)`` is the seed's input.
    image_size : int, optional
        Resize every channel to ``image_size`` x ``image_size`` (box/area
        filter when shrinking, each block's exact mean for whole factors;
        bilinear when enlarging). When None, the
        geometry is fixed by ``fit``: every sample is resized to the native
        size of the first training sample (``image_shape_``), so a fitted
        pipeline gives its network the size it was trained on, whatever the
        native sizes of later inputs (a 2048 px HPA v18 JPEG, a 512 px Kaggle
        PNG). Unfitted, each ``transform`` call uses its first sample's size.
    cache : str or path-like, optional
        Folder for decoded, resized samples. Each sample is stored once as an
        ``.npy`` file keyed by its source files' path, size and modification
        time, the channels and the size, so every fold, grid-search candidate
        and later run reads it instead of decoding; a changed source file gets
        a new key. Entries are written to a temporary file and renamed, so
        concurrent writers and interrupted runs never leave a partial entry
        that could be read.
    lazy : bool, default=False
        Return a :class:`LazyImageArray` that decodes on indexing.
    n_jobs : int, optional
        Samples decoded in parallel (threads: Pillow releases the GIL while
        decoding). -1 uses all cores, -2 all but one (joblib's convention).
    extension : str, optional
        File extension (``".png"``; ``"png"`` means the same); detected from the
        first sample when None.

    Attributes
    ----------
    channels_ : tuple of str
        The channels read, in order.
    image_shape_ : tuple of int
        ``(height, width)`` every sample is resized to; set by ``fit`` when
        ``X`` is given.

    Examples
    --------
    >>> import tempfile
    >>> from skhpa.datasets import load_hpa, write_hpa_like
    >>> from skhpa.preprocessing import ImageLoader
    >>> root = write_hpa_like(tempfile.mkdtemp() + "/d", 4, 1, image_size=32, random_state=0)
    >>> data = load_hpa(root)
    >>> ImageLoader(data.image_dir, channels=("green",), image_size=16).transform(data.ids).shape
    (4, 1, 16, 16)
    """

    _parameter_constraints = {
        "root": [str, os.PathLike, None],
        "channels": ["array-like"],
        "image_size": [Interval(numbers.Integral, 1, None, closed="left"), None],
        "cache": [str, os.PathLike, None],
        "lazy": ["boolean"],
        "n_jobs": [numbers.Integral, None],
        "extension": [str, None],
    }

    def __init__(
        self,
        root=None,
        *,
        channels=CHANNELS,
        image_size=None,
        cache=None,
        lazy=False,
        n_jobs=None,
        extension=None,
    ):
        self.root = root
        self.channels = channels
        self.image_size = image_size
        self.cache = cache
        self.lazy = lazy
        self.n_jobs = n_jobs
        self.extension = extension

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Validate the parameters and fix the geometry of every later sample.

        Parameters
        ----------
        X : array-like of shape (n_samples,), optional
            Sample Ids or path stems. With ``image_size=None`` the first
            sample's native size becomes ``image_shape_``.
        y : ignored

        Returns
        -------
        self : ImageLoader
        """
        channels = check_channels(self.channels)
        if self.root is not None and not os.path.isdir(self.root):
            raise FileNotFoundError(f"image folder not found: {self.root}")
        self.channels_ = channels
        if self.image_size is not None:
            self.image_shape_ = (int(self.image_size), int(self.image_size))
        elif X is not None:
            source = _Source(self.root, channels, self.extension, None)
            stem = source.stems(self._ids(X)[:1])[0]
            ext = source.find_extension(stem)
            self.image_shape_ = native_shape(
                source.paths(stem, ext)[0], sample_id=os.path.basename(stem)
            )
        elif hasattr(self, "image_shape_"):
            del self.image_shape_
        return self

    def _source(self, stems):
        """Where and how to read ``stems``; fixes the extension and the output size."""
        if not hasattr(self, "channels_"):
            self.fit()
        source = _Source(self.root, self.channels_, self.extension, None)
        stems = source.stems(stems)
        ext = source.find_extension(stems[0])
        if self.image_size is not None:
            source.image_size = (int(self.image_size), int(self.image_size))
        elif hasattr(self, "image_shape_"):
            source.image_size = tuple(self.image_shape_)
        else:
            first = source.paths(stems[0], ext)[0]
            source.image_size = native_shape(first, sample_id=os.path.basename(stems[0]))
        return source, stems, ext

    def _ids(self, X):
        if isinstance(X, (str, bytes)):
            raise ValueError("X must be a 1-D sequence of sample Ids, got a single string")
        arr = np.asarray(X, dtype=object)
        if arr.ndim != 1:
            raise ValueError(
                f"X must be a 1-D array of sample Ids or path stems, got shape {arr.shape}"
            )
        if len(arr) == 0:
            raise ValueError("X is empty (0 sample Ids)")
        return [os.fspath(x) if isinstance(x, os.PathLike) else str(x) for x in arr]

    def transform(self, X):
        """Load the images of the samples in ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples,)
            Sample Ids (with ``root``) or path stems.

        Returns
        -------
        images : ndarray of shape (n_samples, n_channels, H, W), uint8, or a
            :class:`LazyImageArray` when ``lazy=True``.
        """
        source, stems, ext = self._source(self._ids(X))
        cache = None if self.cache is None else os.fspath(self.cache)
        first = _load_one(source, stems[0], ext, cache)
        if self.lazy:
            return LazyImageArray(source, stems, ext, first.shape, cache)
        out = np.empty((len(stems),) + first.shape, dtype=np.uint8)
        out[0] = first
        rest = np.arange(1, len(stems))
        workers = effective_n_jobs(self.n_jobs or 1)  # -2: all cores but one, as in joblib
        if workers == 1 or len(rest) < 8:
            _fill(source, stems, ext, cache, out, rest)
        else:
            # Threads: Pillow and file reads release the GIL, and every worker
            # writes straight into its rows of the output (no copies, no pickling).
            chunks = np.array_split(rest, min(len(rest), 4 * workers))
            Parallel(n_jobs=workers, prefer="threads")(
                delayed(_fill)(source, stems, ext, cache, out, chunk) for chunk in chunks
            )
        return out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags


def image_loader_of(model):
    """The ImageLoader that reads the model's input files, or None.

    A fitted one first: a fold ensemble also holds its unfitted template, which knows
    neither the channels' order it was fitted with nor the image size.
    """
    from ..utils import iter_estimators

    loaders = [est for est in iter_estimators(model) if isinstance(est, ImageLoader)]
    fitted = [est for est in loaders if hasattr(est, "channels_")]
    return (fitted or loaders or [None])[0]
